package ashby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/restload/restload/source"
	"github.com/restload/restload/source/rest"
)

// Hook names in the definition.
const (
	envelopeHook      = "ashby_envelope"
	childEnvelopeHook = "ashby_child_envelope"
	syncHook          = "ashby_sync_token"
	listHook          = "ashby_list"
)

// Codes after which a stored sync token is useless and Ashby's advice is a
// full sync.
var tokenResetCodes = []string{"sync_token_expired", "sync_token_invalid", "incremental_sync_too_large"}

// Codes after which a cursor is useless; the listing restarts from its
// first page.
var cursorResetCodes = []string{"next_cursor_expired", "invalid_next_cursor", "cursor_invalid"}

// maxCursorRestarts bounds how often one listing restarts after a cursor
// error, so an API that keeps rejecting cursors ends the resource.
const maxCursorRestarts = 3

// resourceState is the state a resource stores between runs.
type resourceState struct {
	SyncToken string `json:"sync_token,omitempty"`
}

func hooks(logger *slog.Logger) rest.Hooks {
	return rest.Hooks{
		Response: map[string]rest.ResponseHook{
			envelopeHook: checkEnvelope,
			childEnvelopeHook: func(resp *rest.Response) error {
				return checkChildEnvelope(resp, logger)
			},
		},
		Extract: map[string]rest.ExtractHook{
			syncHook: func(ctx context.Context, state json.RawMessage, list rest.ListFunc) (json.RawMessage, error) {
				return extract(ctx, state, list, true, logger)
			},
			listHook: func(ctx context.Context, state json.RawMessage, list rest.ListFunc) (json.RawMessage, error) {
				return extract(ctx, state, list, false, logger)
			},
		},
	}
}

// extract lists a resource, incrementally when incremental is set and the
// state holds a sync token. It relists in full when Ashby rejects the
// token, and restarts the listing when Ashby rejects a cursor.
func extract(ctx context.Context, state json.RawMessage, list rest.ListFunc, incremental bool, logger *slog.Logger) (json.RawMessage, error) {
	var st resourceState
	if len(state) > 0 {
		if err := json.Unmarshal(state, &st); err != nil {
			return nil, fmt.Errorf("decode stored state: %w", err)
		}
	}
	token := st.SyncToken
	if !incremental {
		token = ""
	}
	restarts := 0
	for {
		extra := rest.Extra{}
		if token != "" {
			extra.JSON = map[string]any{"syncToken": token}
		}
		listing, err := list(ctx, extra)
		var ae *APIError
		switch {
		case err == nil:
			if token == "" && listing != nil && listing.Complete {
				source.MarkComplete(ctx)
			}
			if !incremental {
				return nil, nil
			}
			next := lastToken(listing)
			if next == "" {
				// The listing ended without a token: the next run lists in
				// full, which merge by id keeps correct.
				logger.Warn("last page carried no sync token, the next run lists in full", "endpoint", lastEndpoint(listing))
				return nil, nil
			}
			return json.Marshal(resourceState{SyncToken: next})
		case errors.As(err, &ae) && token != "" && slices.Contains(tokenResetCodes, ae.Code):
			logger.Warn("sync token rejected, listing in full", "endpoint", ae.Endpoint, "code", ae.Code)
			token = ""
		case errors.As(err, &ae) && slices.Contains(cursorResetCodes, ae.Code) && restarts < maxCursorRestarts:
			restarts++
			logger.Warn("cursor rejected, restarting the listing", "endpoint", ae.Endpoint, "code", ae.Code, "restart", restarts)
		default:
			return nil, err
		}
	}
}

// lastToken returns the sync token of a listing's last page.
func lastToken(l *rest.Listing) string {
	if l == nil || l.Last == nil {
		return ""
	}
	env, err := decodeEnvelope(l.Last)
	if err != nil {
		return ""
	}
	return env.SyncToken
}

func lastEndpoint(l *rest.Listing) string {
	if l == nil || l.Last == nil {
		return ""
	}
	return endpointOf(l.Last.URL)
}

// checkChildEnvelope is the response hook of requests made per parent
// item. An error whose code ends in "_not_found" (application_not_found,
// candidate_not_found, ...) means the parent was deleted or merged away
// between the parent's listing and this request: the parent is skipped
// with a warning and the rest of the resource loads. The listing then no
// longer counts as complete, so no rows are marked deleted on its
// account. Every other error fails the resource as checkEnvelope does.
func checkChildEnvelope(resp *rest.Response, logger *slog.Logger) error {
	err := checkEnvelope(resp)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusOK && strings.HasSuffix(ae.Code, "_not_found") {
		logger.Warn("parent no longer exists, skipping it", "endpoint", ae.Endpoint, "code", ae.Code, "request_id", ae.RequestID)
		return fmt.Errorf("%w: %w", rest.ErrIgnore, err)
	}
	return err
}
