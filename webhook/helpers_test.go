package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

const testSecret = "whsec-test-9f2c"

// sign returns the Ashby-Signature value of body under secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// eventBody returns a candidateStageChange payload with webhookActionId id.
func eventBody(id string) []byte {
	return fmt.Appendf(nil, `{"webhookActionId":%q,"action":"candidateStageChange",`+
		`"data":{"application":{"id":"33333333-3333-4333-8333-000000000001"}}}`, id)
}

func openTestSpool(t *testing.T, dir string) *Spool {
	t.Helper()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatalf("open spool: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eventFiles returns the names of the event files in dir.
func eventFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list spool: %v", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), eventExt) {
			names = append(names, e.Name())
		}
	}
	return names
}
