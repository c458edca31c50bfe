package ashbysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Page sizes: the OpenAPI document gives 100 as both the default and the
// maximum of limit.
const (
	defaultLimit = 100
	maxLimit     = 100
)

// query holds the decoded request parameters of a list endpoint. Each
// endpoint decodes only the parameters its request schema declares and
// ignores other keys.
type query struct {
	limit     int
	cursor    string
	syncToken string

	createdAfter    int64
	hasCreatedAfter bool

	includeArchived          bool
	includeDeactivated       bool
	includeLocationHierarchy bool

	// job.list
	jobStatuses           map[string]bool // nil: every status but Draft
	openedAfter           int64
	openedBefore          int64
	closedAfter           int64
	closedBefore          int64
	unpublishedPostingIDs bool
	expandLocation        bool
	expandOpenings        bool

	// application.list, offer.list, interviewSchedule.list
	appStatus      string
	jobID          idFilter
	applicationID  idFilter
	stageID        idFilter
	offerStatuses  map[string]bool
	acceptStatuses map[string]bool
	approvals      map[string]bool

	// jobPosting.list
	listedOnly     bool
	locationName   string
	departmentName string
	board          int // job board index; -1 for an id of no board

	// catalogues
	namesOnly                     bool // hiringTeamRole.list; true unless sent as false
	includeDisabled               bool
	includeArchivedPools          bool
	includeArchivedTrainingStages bool
	includeNonShared              bool

	// roots
	surveyType  int // index into surveyTypes; -1 when not sent
	candidateID idFilter
	entityType  string
	entityID    idFilter

	// per-parent endpoints
	parentID              idFilter
	parent                int         // index of the parent, set by resolveParent
	children              []childItem // the parent's child items, set by resolveParent
	excludeFormDefinition bool
}

// apiError is an error that the API reports in its error envelope, as
// HTTP 200 with success false.
type apiError struct {
	code string // errorInfo.code, such as invalid_input
	msg  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// invalidf returns an invalid_input error for a request parameter.
func invalidf(format string, args ...any) error {
	return &apiError{code: "invalid_input", msg: fmt.Sprintf(format, args...)}
}

// decodeBody parses a request body into its top-level members. An empty
// body counts as {}.
func decodeBody(body []byte) (map[string]json.RawMessage, error) {
	members := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) == 0 {
		return members, nil
	}
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, invalidf("the request body must be a JSON object: %v", err)
	}
	if members == nil { // the body was null
		return nil, invalidf("the request body must be a JSON object, not null")
	}
	return members, nil
}

// parseQuery decodes the members an endpoint accepts. A null member counts
// as absent.
func parseQuery(ep *endpoint, o *org, members map[string]json.RawMessage) (*query, error) {
	q := &query{limit: defaultLimit, namesOnly: true, surveyType: -1}
	for _, name := range ep.params {
		raw, ok := members[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var err error
		if ep.parent != nil && name == ep.parent.param {
			err = decodeID(name, raw, &q.parentID)
		} else {
			err = q.decode(o, name, raw)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, name := range ep.required {
		if raw, ok := members[name]; !ok || string(raw) == "null" {
			return nil, invalidf("%s is required by %s", name, ep.name)
		}
	}
	switch {
	case ep.name == "surveyRequest.list" && q.surveyType > 0:
		return nil, invalidf("surveyType of %s supports only %s", ep.name, surveyTypes[0])
	case q.expandLocation && ep.name != "job.list" && ep.name != "jobTemplate.list":
		return nil, invalidf("expand of %s allows only openings", ep.name)
	case q.expandOpenings && ep.name == "jobTemplate.list":
		return nil, invalidf("expand of %s allows only location", ep.name)
	}
	return q, nil
}

// decode stores the request parameter name with its raw JSON value.
func (q *query) decode(o *org, name string, raw json.RawMessage) error {
	switch name {
	case "limit":
		return q.decodeLimit(raw)
	case "cursor":
		return decodeString(name, raw, &q.cursor)
	case "syncToken":
		return decodeString(name, raw, &q.syncToken)
	case "createdAfter":
		q.hasCreatedAfter = true
		return decodeInt64(name, raw, &q.createdAfter)
	case "includeArchived":
		return decodeBool(name, raw, &q.includeArchived)
	case "includeDeactivated":
		return decodeBool(name, raw, &q.includeDeactivated)
	case "includeLocationHierarchy":
		return decodeBool(name, raw, &q.includeLocationHierarchy)
	case "includeUnpublishedJobPostingsIds":
		return decodeBool(name, raw, &q.unpublishedPostingIDs)
	case "listedOnly":
		return decodeBool(name, raw, &q.listedOnly)
	case "openedAfter":
		return decodeInt64(name, raw, &q.openedAfter)
	case "openedBefore":
		return decodeInt64(name, raw, &q.openedBefore)
	case "closedAfter":
		return decodeInt64(name, raw, &q.closedAfter)
	case "closedBefore":
		return decodeInt64(name, raw, &q.closedBefore)
	case "location":
		return decodeString(name, raw, &q.locationName)
	case "department":
		return decodeString(name, raw, &q.departmentName)
	case "jobId":
		return decodeID(name, raw, &q.jobID)
	case "applicationId":
		return decodeID(name, raw, &q.applicationID)
	case "interviewStageId":
		return decodeID(name, raw, &q.stageID)
	case "jobBoardId":
		var board idFilter
		if err := decodeID(name, raw, &board); err != nil {
			return err
		}
		// An id of no job board is valid input and lists no postings.
		q.board = -1
		if k, i, ok := splitID(o.seed, board.id); ok && k == kindJobBoard && i < o.store(kindJobBoard).total() {
			q.board = i
		}
		return nil
	case "namesOnly":
		return decodeBool(name, raw, &q.namesOnly)
	case "includeDisabled":
		return decodeBool(name, raw, &q.includeDisabled)
	case "includeArchivedPools":
		return decodeBool(name, raw, &q.includeArchivedPools)
	case "includeArchivedTrainingStages":
		return decodeBool(name, raw, &q.includeArchivedTrainingStages)
	case "includeNonSharedInterviews":
		return decodeBool(name, raw, &q.includeNonShared)
	case "excludeArchivedScheduleTemplateInterviews":
		// No schedule templates are generated, so the flag changes nothing.
		var ignored bool
		return decodeBool(name, raw, &ignored)
	case "excludeFormDefinition":
		return decodeBool(name, raw, &q.excludeFormDefinition)
	case "surveyType":
		return q.decodeSurveyType(name, raw)
	case "candidateId":
		return decodeID(name, raw, &q.candidateID)
	case "entityId":
		return decodeID(name, raw, &q.entityID)
	case "entityType":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || !slices.Contains(approvalEntityTypes, s) {
			return invalidf("%s must be one of %v, got %s", name, approvalEntityTypes, raw)
		}
		q.entityType = s
		return nil
	case "status":
		return q.decodeStatus(name, raw)
	case "expand":
		return q.decodeExpand(name, raw)
	case "offerStatus":
		return decodeEnumSet(name, raw, offerStatusValues, &q.offerStatuses)
	case "acceptanceStatus":
		return decodeEnumSet(name, raw, acceptanceValues, &q.acceptStatuses)
	case "approvalStatus":
		return decodeEnumSet(name, raw, approvalValues, &q.approvals)
	}
	// Endpoint tables list only the names above.
	panic("ashbysim: no decoder for request parameter " + name)
}

func (q *query) decodeLimit(raw json.RawMessage) error {
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return invalidf("limit must be a number, got %s", raw)
	}
	if v != math.Trunc(v) {
		return invalidf("limit must be a whole number, got %s", raw)
	}
	// Values of zero or less give the default page size; larger values
	// are capped at the maximum.
	if v > 0 {
		q.limit = int(min(v, maxLimit))
	}
	return nil
}

func decodeString(name string, raw json.RawMessage, dst *string) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalidf("%s must be a string, got %s", name, raw)
	}
	return nil
}

func decodeBool(name string, raw json.RawMessage, dst *bool) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalidf("%s must be true or false, got %s", name, raw)
	}
	return nil
}

// decodeInt64 accepts whole JSON numbers such as epoch milliseconds.
func decodeInt64(name string, raw json.RawMessage, dst *int64) error {
	v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return invalidf("%s must be an integer (epoch milliseconds), got %s", name, raw)
	}
	*dst = v
	return nil
}

// idFilter is an optional id parameter.
type idFilter struct {
	set bool
	id  uuid
}

// excludes reports whether the filter is set to an id other than id.
func (f idFilter) excludes(id uuid) bool { return f.set && f.id != id }

// decodeID accepts a UUID string. An id that this organisation never
// issued is valid input and matches nothing.
func decodeID(name string, raw json.RawMessage, dst *idFilter) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return invalidf("%s must be a UUID string, got %s", name, raw)
	}
	id, ok := parseUUID(s)
	if !ok {
		return invalidf("%s must be a UUID such as 3ae2b801-19f6-41ef-ad28-214bd731948f, got %q", name, s)
	}
	*dst = idFilter{set: true, id: id}
	return nil
}

var (
	jobStatusValues   = []string{"Draft", "Open", "Closed", "Archived"}
	appStatusValues   = []string{"Hired", "Archived", "Active", "Lead"}
	offerStatusValues = []string{
		"WaitingOnApprovalStart", "WaitingOnOfferApproval", "WaitingOnApprovalDefinition",
		"WaitingOnCandidateResponse", "CandidateRejected", "CandidateAccepted", "OfferCancelled",
	}
	acceptanceValues = []string{"Accepted", "Declined", "Pending", "Created", "Cancelled", "WaitingOnResponse"}
	approvalValues   = []string{"Approved", "WaitingOnApprovals", "Declined"}
)

// decodeStatus decodes status: an array of job statuses in job.list and a
// single application status in application.list.
func (q *query) decodeStatus(name string, raw json.RawMessage) error {
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		return decodeEnumSet(name, raw, jobStatusValues, &q.jobStatuses)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || !slices.Contains(appStatusValues, s) {
		return invalidf("%s must be one of %v, got %s", name, appStatusValues, raw)
	}
	q.appStatus = s
	return nil
}

// decodeEnumSet decodes a non-empty array of enum strings.
func decodeEnumSet(name string, raw json.RawMessage, values []string, dst *map[string]bool) error {
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return invalidf("%s must be an array of strings, got %s", name, raw)
	}
	if len(list) == 0 {
		return invalidf("%s must list at least one of %v", name, values)
	}
	set := map[string]bool{}
	for _, s := range list {
		if !slices.Contains(values, s) {
			return invalidf("%s contains %q; allowed values are %v", name, s, values)
		}
		set[s] = true
	}
	*dst = set
	return nil
}

func (q *query) decodeExpand(name string, raw json.RawMessage) error {
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return invalidf("%s must be an array of strings, got %s", name, raw)
	}
	for _, s := range list {
		switch s {
		case "location":
			q.expandLocation = true
		case "openings":
			q.expandOpenings = true
		default:
			return invalidf("%s contains %q; allowed values are location and openings", name, s)
		}
	}
	return nil
}

// surveyTypes are the survey types survey submissions and requests have;
// surveyRequest.list accepts only the first.
var surveyTypes = []string{"CandidateExperience", "Questionnaire"}

var approvalEntityTypes = []string{"offer", "job", "opening"}

func (q *query) decodeSurveyType(name string, raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if i := slices.Index(surveyTypes, s); i >= 0 {
			q.surveyType = i
			return nil
		}
	}
	return invalidf("%s must be one of %v, got %s", name, surveyTypes, raw)
}
