package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// candidatePageLimit is the page size that the Ashby source requests
// (source/ashby: pageLimit), so both paths fetch the same pages.
const candidatePageLimit = 100

// ashbyLister posts candidate.list requests the way the Ashby source
// does: a JSON body of limit and cursor, HTTP Basic auth with the API
// key as user name, and the Accept header of version 1.
type ashbyLister struct {
	base, key string
	client    *http.Client
}

// fetchStats counts what a listing fetched.
type fetchStats struct {
	pages, items, bytes int64
	elapsed             time.Duration
	// cpu is the CPU time of this process during the listing.
	cpu time.Duration
}

// page fetches the page at cursor into buf; an empty cursor fetches the
// first page.
func (l *ashbyLister) page(ctx context.Context, cursor string, buf *bytes.Buffer) error {
	body := map[string]any{"limit": candidatePageLimit}
	if cursor != "" {
		body["cursor"] = cursor
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/candidate.list", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("build candidate.list request: %w", err)
	}
	req.SetBasicAuth(l.key, "")
	req.Header.Set("Accept", "application/json; version=1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("post candidate.list: %w", err)
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("read candidate.list response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("candidate.list returned HTTP %d: %.200s", resp.StatusCode, buf.Bytes())
	}
	return nil
}

// discardAll lists every candidate page by page, reads each body, takes
// only the cursor and the item count from it and discards it. The item
// count comes from a structural skim, not a decode, so the loop costs
// what fetching costs.
func (l *ashbyLister) discardAll(ctx context.Context) (fetchStats, error) {
	var st fetchStats
	var buf bytes.Buffer
	cursor := ""
	started, cpu := time.Now(), selfCPU()
	for {
		if err := l.page(ctx, cursor, &buf); err != nil {
			return st, fmt.Errorf("page %d: %w", st.pages+1, err)
		}
		p, err := skimPage(buf.Bytes())
		if err != nil {
			return st, fmt.Errorf("page %d of candidate.list: %w", st.pages+1, err)
		}
		st.pages++
		st.items += int64(p.items)
		st.bytes += int64(buf.Len())
		if !p.more {
			break
		}
		cursor = p.cursor
	}
	st.elapsed, st.cpu = time.Since(started), selfCPU()-cpu
	return st, nil
}

// writeAll lists every candidate again and writes the items to path as
// compact JSON lines, as restload's extract step writes them. It records
// the shape of every item in sh.
func (l *ashbyLister) writeAll(ctx context.Context, path string, sh *shape) (fetchStats, error) {
	var st fetchStats
	f, err := os.Create(path)
	if err != nil {
		return st, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var buf, line bytes.Buffer
	cursor := ""
	started := time.Now()
	for {
		if err := l.page(ctx, cursor, &buf); err != nil {
			return st, fmt.Errorf("page %d: %w", st.pages+1, err)
		}
		var env struct {
			Success           bool              `json:"success"`
			Results           []json.RawMessage `json:"results"`
			MoreDataAvailable bool              `json:"moreDataAvailable"`
			NextCursor        string            `json:"nextCursor"`
		}
		if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
			return st, fmt.Errorf("decode page %d of candidate.list: %w", st.pages+1, err)
		}
		if !env.Success {
			return st, fmt.Errorf("page %d of candidate.list: success false: %.200s", st.pages+1, buf.Bytes())
		}
		for _, it := range env.Results {
			line.Reset()
			if err := json.Compact(&line, it); err != nil {
				return st, fmt.Errorf("compact item of page %d: %w", st.pages+1, err)
			}
			line.WriteByte('\n')
			if _, err := w.Write(line.Bytes()); err != nil {
				return st, fmt.Errorf("write %s: %w", path, err)
			}
			if err := sh.addJSON(it); err != nil {
				return st, fmt.Errorf("item of page %d: %w", st.pages+1, err)
			}
		}
		st.pages++
		st.items += int64(len(env.Results))
		st.bytes += int64(buf.Len())
		if !env.MoreDataAvailable {
			break
		}
		cursor = env.NextCursor
	}
	st.elapsed = time.Since(started)
	if err := w.Flush(); err != nil {
		return st, fmt.Errorf("write %s: %w", path, err)
	}
	return st, f.Close()
}

// pageSummary is what the plain loop takes from a page.
type pageSummary struct {
	items  int
	more   bool
	cursor string
}

// skimPage reads the envelope of a list response without decoding the
// items: it counts the elements of "results" and takes
// "moreDataAvailable" and "nextCursor". It checks the envelope's
// structure but inside a value only matches strings and counts
// brackets, and it rejects a response whose "success" is not true.
func skimPage(b []byte) (pageSummary, error) {
	var p pageSummary
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return p, errors.New("response is not a JSON object")
	}
	i++
	success := false
	for {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == '}' {
			break
		}
		if i >= len(b) || b[i] != '"' {
			return p, fmt.Errorf("expected a member name at offset %d", i)
		}
		end, err := skipValue(b, i)
		if err != nil {
			return p, err
		}
		var key string
		if err := json.Unmarshal(b[i:end], &key); err != nil {
			return p, fmt.Errorf("member name at offset %d: %w", i, err)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return p, fmt.Errorf("expected ':' after %q at offset %d", key, i)
		}
		i = skipSpace(b, i+1)
		start := i
		if key == "results" {
			if p.items, i, err = countElements(b, i); err != nil {
				return p, fmt.Errorf("results: %w", err)
			}
		} else if i, err = skipValue(b, i); err != nil {
			return p, fmt.Errorf("%s: %w", key, err)
		}
		switch key {
		case "success":
			success = string(b[start:i]) == "true"
		case "moreDataAvailable":
			p.more = string(b[start:i]) == "true"
		case "nextCursor":
			if err := json.Unmarshal(b[start:i], &p.cursor); err != nil {
				return p, fmt.Errorf("nextCursor: %w", err)
			}
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
	if !success {
		return p, fmt.Errorf("success is not true: %.200s", b)
	}
	return p, nil
}

// countElements counts the elements of the array that starts at b[i]
// and returns the offset after it.
func countElements(b []byte, i int) (int, int, error) {
	if i >= len(b) || b[i] != '[' {
		return 0, i, fmt.Errorf("expected an array at offset %d", i)
	}
	n := 0
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return 0, i + 1, nil
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return n, end, err
		}
		n++
		i = skipSpace(b, end)
		if i >= len(b) {
			return n, i, io.ErrUnexpectedEOF
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return n, i + 1, nil
		default:
			return n, i, fmt.Errorf("expected ',' or ']' at offset %d", i)
		}
	}
}

// skipValue returns the offset after the JSON value that starts at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, io.ErrUnexpectedEOF
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, io.ErrUnexpectedEOF
	default:
		start := i
		for i < len(b) && !endsScalar(b[i]) {
			i++
		}
		if i == start {
			return i, fmt.Errorf("expected a value at offset %d", i)
		}
		return i, nil
	}
}

// skipString returns the offset after the JSON string that starts at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return len(b), io.ErrUnexpectedEOF
}

// endsScalar reports whether c ends a number or literal.
func endsScalar(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
