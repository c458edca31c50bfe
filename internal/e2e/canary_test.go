package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// TestAPIKeyNeverLeaks runs restload with a unique API key, through a
// success and a failure, at debug level, and searches every output, file
// and table for the key.
func TestAPIKeyNeverLeaks(t *testing.T) {
	b := make([]byte, 12)
	rand.Read(b)
	key := "canary" + hex.EncodeToString(b)
	sim, url := startSim(t, 17, 100, key)
	e := newEnv(t)

	var outputs [][]byte
	run := func(args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, _ := e.command(ctx, url, key, args...).CombinedOutput()
		outputs = append(outputs, out)
	}
	run("run", "ashby", "--log-level", "debug", "--log-format", "json")
	sim.Apply(ashbysim.Changes{UpdatedCandidates: 3})
	addFault(t, sim, ashbysim.Fault{Endpoint: "offer.list", Kind: ashbysim.FaultErrorCode, Code: "boom"})
	addFault(t, sim, ashbysim.Fault{Endpoint: "job.list", Kind: ashbysim.FaultServerError, Times: 1})
	run("run", "ashby", "--log-level", "debug")
	// A wrong key makes the API return 403, and the error message must
	// not contain the key that was sent either.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	wrong := e.command(ctx, url, key+"x", "run", "ashby", "--log-level", "debug")
	out, _ := wrong.CombinedOutput()
	cancel()
	outputs = append(outputs, out)

	for i, out := range outputs {
		if bytes.Contains(out, []byte(key)) {
			t.Errorf("output of run %d contains the API key:\n%s", i, out)
		}
	}
	if len(outputs[0]) == 0 {
		t.Error("the debug run printed nothing, so the search proves little")
	}
	files := 0
	filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			return nil
		}
		if bytes.Contains(data, []byte(key)) {
			t.Errorf("%s contains the API key", path)
		}
		return nil
	})
	if files < 2 {
		t.Errorf("only %d files were searched", files)
	}

	db, closeDB := e.openDB(t)
	defer closeDB()
	rows, err := db.Query(`SELECT table_schema, table_name, column_name FROM information_schema.columns
		WHERE data_type IN ('VARCHAR', 'JSON')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][3]string
	for rows.Next() {
		var c [3]string
		if err := rows.Scan(&c[0], &c[1], &c[2]); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) < 20 {
		t.Fatalf("only %d text columns found", len(cols))
	}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT count(*) FROM %q.%q WHERE CAST(%q AS VARCHAR) LIKE ?`, c[0], c[1], c[2])
		if n := count(t, db, q, "%"+key+"%"); n > 0 {
			t.Errorf("%s.%s.%s holds the API key in %d rows", c[0], c[1], c[2], n)
		}
	}
}
