package ashbysim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// writeJSON sends a finished JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeError sends Ashby's error envelope:
//
//	{"success":false,"errors":[code],"errorInfo":{"code":code,"message":...,"requestId":...}}
//
// Ashby marks errors as deprecated in favour of errorInfo; both are sent.
func (s *Server) writeError(w http.ResponseWriter, rec *Request, status int, code, message string) {
	rec.Status, rec.ErrorCode, rec.RequestID = status, code, s.newRequestID()
	var jw jsonWriter
	jw.open()
	jw.fieldBool("success", false)
	jw.key("errors")
	jw.openArray()
	jw.string(code)
	jw.closeArray()
	jw.key("errorInfo")
	jw.open()
	jw.fieldString("code", code)
	jw.fieldString("message", message)
	jw.fieldString("requestId", rec.RequestID)
	jw.close()
	jw.close()
	writeJSON(w, status, jw.buf)
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRequestID returns a ULID-shaped id: 26 Crockford base32 characters,
// a 48-bit emulated timestamp then 80 bits derived from the seed and a
// counter, so ids are unique per server and repeatable.
func (s *Server) newRequestID() string {
	n := s.requestIDs.Add(1)
	ms := uint64(historyEnd) + n
	hi := ms<<16 | hash(s.org.seed, 0x1d, n, 0)>>48
	lo := hash(s.org.seed, 0x1d, n, 1)
	var out [26]byte
	// 128 bits in 26 groups of 5, the first group holding 3 bits.
	for k := 25; k >= 0; k-- {
		out[k] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

func (s *Server) writeAPIKeyInfo(w http.ResponseWriter, rec *Request, key apiKey) {
	scopes := key.scopes
	if scopes == nil {
		scopes = allScopes
	}
	var jw jsonWriter
	jw.open()
	jw.fieldBool("success", true)
	jw.key("results")
	jw.open()
	jw.fieldString("title", "restload emulator key")
	jw.fieldTime("createdAt", historyStart-30*dayMS)
	jw.key("scopes")
	jw.openArray()
	for _, scope := range scopes {
		jw.string(scope)
	}
	jw.closeArray()
	jw.close()
	jw.close()
	rec.Status = http.StatusOK
	writeJSON(w, http.StatusOK, jw.buf)
}

// serveList writes the response of a list endpoint. The page is generated
// under the read lock and sent after releasing it.
func (s *Server) serveList(w http.ResponseWriter, rec *Request, ep *endpoint,
	members map[string]json.RawMessage) {
	jw := s.buffers.Get().(*jsonWriter)
	defer s.putBuffer(jw)
	jw.reset()

	s.mu.RLock()
	results, err := s.writeListResponse(jw, ep, members)
	s.mu.RUnlock()

	if err != nil {
		s.writeFailure(w, rec, err)
		return
	}
	rec.Status, rec.Results = http.StatusOK, results
	writeJSON(w, http.StatusOK, jw.buf)
}

// writeFailure sends err: an apiError as Ashby's HTTP 200 error envelope,
// anything else as a logged HTTP 500.
func (s *Server) writeFailure(w http.ResponseWriter, rec *Request, err error) {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		s.writeError(w, rec, http.StatusOK, apiErr.code, apiErr.msg)
		return
	}
	s.log.Error("ashby emulator request failed", "endpoint", rec.Endpoint, "error", err)
	s.writeError(w, rec, http.StatusInternalServerError, "server_error", err.Error())
}

// putBuffer returns a writer to the pool unless a huge response grew it.
func (s *Server) putBuffer(jw *jsonWriter) {
	if cap(jw.buf) <= 8<<20 {
		s.buffers.Put(jw)
	}
}

// writeListResponse writes the success envelope of one page into jw and
// returns the number of results. The caller holds the read lock.
func (s *Server) writeListResponse(jw *jsonWriter, ep *endpoint,
	members map[string]json.RawMessage) (int, error) {
	o := s.org
	q, err := parseQuery(ep, o, members)
	if err != nil {
		return 0, err
	}
	if err := o.resolveParent(ep, q); err != nil {
		return 0, err
	}
	var (
		items  []int
		more   bool
		cursor string
		token  string
	)
	if ep.shape.pages() {
		l, err := o.openListing(ep, q)
		if err != nil {
			return 0, err
		}
		var next int
		items, more, next = o.page(l, q.limit)
		switch {
		case more:
			c := l.cursor
			c.next = next
			cursor = o.encodeCursor(ep, c)
		case ep.shape == shapeSync:
			token = o.encodeVariantToken(ep, l.cursor.variant, l.cursor.start)
		}
	} else {
		items = o.visibleAll(ep, q)
	}

	jw.open()
	jw.fieldBool("success", true)
	jw.key("results")
	if ep.shape == shapeInfo {
		ep.write(o, jw, 0, q)
		jw.close()
		return 1, nil
	}
	jw.openArray()
	for _, i := range items {
		ep.write(o, jw, i, q)
	}
	jw.closeArray()
	if ep.shape != shapePlain {
		jw.fieldBool("moreDataAvailable", more)
	}
	if cursor != "" {
		jw.fieldString("nextCursor", cursor)
	}
	if token != "" {
		jw.fieldString("syncToken", token)
	}
	jw.close()
	return len(items), nil
}

// visibleAll returns every object of a full listing under q.
func (o *org) visibleAll(ep *endpoint, q *query) []int {
	var items []int
	for i := range o.listSize(ep, q) {
		if o.listed(ep, i, q) {
			items = append(items, i)
		}
	}
	return items
}
