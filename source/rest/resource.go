package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// resource runs one spec. It implements source.Resource.
type resource struct {
	src     *Source
	spec    *spec
	logger  *slog.Logger
	auth    authenticator
	actions []compiledAction
	steps   []stepFunc
	hook    ExtractHook
	parent  *resource
	// needs are the fields that the resources depending on this one read
	// from its items; feed holds them for the current run.
	needs map[string]*jsonPath
	feed  *feed

	mu sync.Mutex
	// selector and paginator are detected from the first response when
	// the definition sets none, and kept for later requests.
	selector  *jsonPath
	paginator *Paginator
	// own holds the parent items this resource listed itself.
	own *spool
	// filters is set when a processing step may drop items, so that a
	// listing never counts as complete.
	filters bool
}

var _ source.Resource = (*resource)(nil)

// stepFunc is one processing step.
type stepFunc func(item json.RawMessage) ([]json.RawMessage, error)

// bind resolves the hook names of the spec; New checked that they exist.
func (r *resource) bind(h *Hooks) {
	sp := r.spec
	r.selector = sp.selector
	r.paginator = sp.paginator
	for _, a := range sp.actions {
		r.actions = append(r.actions, compiledAction{ResponseAction: a, hook: h.Response[a.Hook]})
	}
	// Filters, maps and yield maps may all drop items.
	r.filters = len(sp.res.ProcessingSteps) > 0
	for _, st := range sp.res.ProcessingSteps {
		switch {
		case st.Filter != "":
			f := h.Filter[st.Filter]
			r.steps = append(r.steps, func(item json.RawMessage) ([]json.RawMessage, error) {
				keep, err := f(item)
				if err != nil || !keep {
					return nil, err
				}
				return []json.RawMessage{item}, nil
			})
		case st.Map != "":
			f := h.Map[st.Map]
			r.steps = append(r.steps, func(item json.RawMessage) ([]json.RawMessage, error) {
				out, err := f(item)
				if err != nil || out == nil {
					return nil, err
				}
				return []json.RawMessage{out}, nil
			})
		case st.YieldMap != "":
			r.steps = append(r.steps, h.YieldMap[st.YieldMap])
		}
	}
	if sp.res.ExtractHook != "" {
		r.hook = h.Extract[sp.res.ExtractHook]
	}
}

// addChild records that child reads fields of this resource's items.
func (r *resource) addChild(child *resource) {
	if r.needs == nil {
		r.needs = map[string]*jsonPath{}
		r.feed = &feed{}
	}
	for k, p := range child.spec.parentFields {
		r.needs[k] = p
	}
}

func (r *resource) Name() string { return r.spec.name }

func (r *resource) Hints() schema.Hints { return r.spec.hints }

// Extract reads the resource's items. For a resource with dependents it
// also keeps the fields they need from each item, for their Extract in the
// same run.
func (r *resource) Extract(ctx context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	if r.feed == nil {
		return r.extract(ctx, state, emit)
	}
	sp, err := r.feed.begin(state)
	if err != nil {
		return nil, err
	}
	// Dependents learn whether this listing was complete; the caller
	// learns it too.
	outer := ctx
	ctx, complete := source.WithCompletion(ctx)
	next, err := r.extract(ctx, state, func(items []json.RawMessage) error {
		if err := r.record(sp, items); err != nil {
			return err
		}
		return emit(items)
	})
	if ferr := r.feed.finish(next, complete(), err); err == nil && ferr != nil {
		return nil, ferr
	}
	if err == nil && complete() {
		source.MarkComplete(outer)
	}
	return next, err
}

// record stores the fields the dependents need from items.
func (r *resource) record(sp *spool, items []json.RawMessage) error {
	for _, it := range items {
		rec, err := project(it, r.needs)
		if err != nil {
			return err
		}
		if err := sp.add(rec); err != nil {
			return err
		}
	}
	return nil
}

// project returns a JSON object of the values fields select in item, keyed
// by expression; fields that select nothing are left out.
func project(item json.RawMessage, fields map[string]*jsonPath) (json.RawMessage, error) {
	rec := make(map[string]json.RawMessage, len(fields))
	for k, p := range fields {
		if name, ok := p.memberPath(); ok && isObject(item) {
			// Most fields are a top-level member such as "id", which
			// often comes first: reading stops at the first match.
			v, err := firstMember(item, name)
			if err != nil {
				return nil, fmt.Errorf("read field %s of a parent item: %w", k, err)
			}
			if v != nil {
				rec[k] = v
			}
			continue
		}
		vals, err := p.Select(item)
		if err != nil {
			return nil, fmt.Errorf("read field %s of a parent item: %w", k, err)
		}
		if len(vals) > 0 {
			rec[k] = vals[0]
		}
	}
	return json.Marshal(rec)
}

// state is a resource's stored state: the engine's members and whatever
// members an extract hook keeps.
type state struct {
	members map[string]json.RawMessage
	incr    *incrState
	parent  json.RawMessage
}

const (
	stateIncremental = "incremental"
	stateParent      = "parent"
)

func decodeState(raw json.RawMessage) (*state, error) {
	st := &state{members: map[string]json.RawMessage{}}
	if len(raw) == 0 || isNull(raw) {
		return st, nil
	}
	if err := json.Unmarshal(raw, &st.members); err != nil {
		return nil, fmt.Errorf("decode stored state: %w", err)
	}
	if v := st.members[stateIncremental]; v != nil {
		st.incr = &incrState{}
		if err := json.Unmarshal(v, st.incr); err != nil {
			return nil, fmt.Errorf("decode stored incremental state: %w", err)
		}
	}
	st.parent = st.members[stateParent]
	return st, nil
}

// engineState is what one listing advances.
type engineState struct {
	incr   *incrState
	parent json.RawMessage
}

// encodeState joins the hook's members and the engine's into the state
// to store; nil when there is nothing to store.
func encodeState(hook json.RawMessage, es *engineState) (json.RawMessage, error) {
	members := map[string]json.RawMessage{}
	if len(hook) > 0 && !isNull(hook) {
		if err := json.Unmarshal(hook, &members); err != nil {
			return nil, fmt.Errorf("extract hook returned a state that is not a JSON object: %w", err)
		}
		for _, k := range []string{stateIncremental, stateParent} {
			if _, ok := members[k]; ok {
				return nil, fmt.Errorf("extract hook returned the member %q, which the engine keeps", k)
			}
		}
	}
	if es != nil && es.incr != nil {
		b, err := json.Marshal(es.incr)
		if err != nil {
			return nil, err
		}
		members[stateIncremental] = b
	}
	if es != nil && len(es.parent) > 0 && !isNull(es.parent) {
		members[stateParent] = es.parent
	}
	if len(members) == 0 {
		return nil, nil
	}
	return json.Marshal(members)
}

// extract runs the listing, through the extract hook when there is one.
func (r *resource) extract(ctx context.Context, raw json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	st, err := decodeState(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.spec.name, err)
	}
	if r.hook == nil {
		es, listing, err := r.list(ctx, st, Extra{}, emit)
		if err != nil {
			return nil, err
		}
		if listing.Complete {
			source.MarkComplete(ctx)
		}
		return encodeState(nil, es)
	}
	var last *engineState
	list := func(ctx context.Context, extra Extra) (*Listing, error) {
		es, listing, err := r.list(ctx, st, extra, emit)
		if err == nil {
			last = es
		}
		return listing, err
	}
	hookState, err := r.hook(ctx, raw, list)
	if err != nil {
		return nil, err
	}
	return encodeState(hookState, last)
}

// list runs the request chain once, or once per parent item.
func (r *resource) list(ctx context.Context, st *state, extra Extra, emit func([]json.RawMessage) error) (*engineState, *Listing, error) {
	var run *incrRun
	if r.spec.incr != nil {
		var err error
		if run, err = r.spec.incr.begin(st.incr); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", r.spec.name, err)
		}
	}
	listing := &Listing{Complete: r.parent == nil && r.spec.incr == nil && !r.filters}
	es := &engineState{}
	if r.parent == nil {
		if err := r.chain(ctx, nil, run, extra, listing, emit); err != nil {
			return nil, listing, err
		}
	} else {
		recs, parentState, parentComplete, err := r.parentRecords(ctx, st.parent)
		if err != nil {
			return nil, listing, err
		}
		// Every parent's children were asked for only when the parent
		// listing held every parent.
		listing.Complete = parentComplete && r.spec.incr == nil && !r.filters
		err = recs.each(func(raw json.RawMessage) error {
			var rec map[string]json.RawMessage
			if err := json.Unmarshal(raw, &rec); err != nil {
				return fmt.Errorf("read stored parent item: %w", err)
			}
			return r.chain(ctx, rec, run, extra, listing, emit)
		})
		if err != nil {
			return nil, listing, err
		}
		es.parent = parentState
	}
	if run != nil {
		es.incr = run.state()
	}
	return es, listing, nil
}

// chain runs the pages of one request chain: for the resource itself, or
// for one parent item when rec is set.
func (r *resource) chain(ctx context.Context, rec map[string]json.RawMessage, run *incrRun, extra Extra,
	listing *Listing, emit func([]json.RawMessage) error) error {
	sp := r.spec
	resolve := r.resolver(rec, run)
	preq, err := r.firstRequest(resolve, run, extra)
	if err != nil {
		return err
	}
	r.mu.Lock()
	pgCfg := r.paginator
	r.mu.Unlock()
	var pg pager
	if pgCfg != nil {
		if pg, err = newPager(pgCfg); err != nil {
			return err
		}
		if err := pg.first(preq); err != nil {
			return err
		}
	}
	header := http.Header{}
	for k, t := range sp.headers {
		v, err := t.render(resolve, nil)
		if err != nil {
			return fmt.Errorf("header %s: %w", k, err)
		}
		header.Set(k, v)
	}
	for page := 1; ; page++ {
		u := *preq.url
		u.RawQuery = preq.query.Encode()
		req := &request{method: sp.method, url: &u, header: header, auth: r.auth, actions: r.actions, resource: sp.name}
		if preq.body != nil {
			if req.body, err = json.Marshal(preq.body); err != nil {
				return fmt.Errorf("encode request body: %w", err)
			}
		}
		resp, err := r.src.client.do(ctx, req)
		if errors.Is(err, errIgnored) {
			listing.Complete = false
			r.logger.Debug("response ignored by a response action", "url", r.src.client.redact.url(&u), "page", page)
			return nil
		}
		if err != nil {
			return fmt.Errorf("read page %d of %s: %w", page, sp.name, err)
		}
		listing.Pages++
		listing.Last = resp
		if resp.index().err != nil {
			return r.src.client.responseError(resp, "response is not JSON")
		}
		items, err := r.items(resp)
		if err != nil {
			return err
		}
		n := len(items)
		if items, err = r.process(items, rec, run); err != nil {
			return err
		}
		listing.Items += len(items)
		if err := emit(items); err != nil {
			return err
		}
		if pg == nil {
			pgCfg = r.detect(resp)
			if pg, err = newPager(pgCfg); err != nil {
				return err
			}
		}
		more, err := pg.next(resp, n, preq)
		if err != nil {
			return fmt.Errorf("page %d of %s at %s: %w", page, sp.name, resp.URL, err)
		}
		if !more {
			if capped(pg) {
				listing.Complete = false
			}
			return nil
		}
	}
}

// detect picks the paginator from the first response and keeps it for the
// resource's later chains.
func (r *resource) detect(resp *Response) *Paginator {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paginator != nil {
		return r.paginator
	}
	p, why := detectPaginator(resp)
	r.paginator = p
	r.logger.Info("detected paginator from the first response; set it in the definition to skip detection",
		"paginator", describePaginator(p), "found", why)
	return p
}

// firstRequest builds the URL, query and body of a chain's first page.
func (r *resource) firstRequest(resolve resolver, run *incrRun, extra Extra) (*pageRequest, error) {
	sp := r.spec
	path, err := sp.path.render(resolve, url.PathEscape)
	if err != nil {
		return nil, fmt.Errorf("%s: endpoint path: %w", sp.name, err)
	}
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		path = strings.TrimRight(r.src.baseURL, "/") + "/" + strings.TrimLeft(path, "/")
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid URL: %w", sp.name, err)
	}
	preq := &pageRequest{url: u, query: u.Query()}
	for k, t := range sp.params {
		v, err := t.render(resolve, nil)
		if errors.Is(err, errNoValue) {
			continue // an incremental value that is not set yet sends no parameter
		}
		if err != nil {
			return nil, fmt.Errorf("%s: query parameter %s: %w", sp.name, k, err)
		}
		preq.query.Set(k, v)
	}
	if run != nil {
		for _, p := range [][2]string{{sp.incr.cfg.StartParam, "start_value"}, {sp.incr.cfg.EndParam, "end_value"}} {
			if v := run.value(p[1]); p[0] != "" && v != nil {
				text, err := valueText(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", sp.name, p[1], err)
				}
				preq.query.Set(p[0], text)
			}
		}
	}
	for k, v := range extra.Params {
		preq.query.Set(k, v)
	}
	if sp.method == http.MethodPost {
		preq.body = map[string]any{}
		if sp.body != nil {
			body, err := sp.body.render(func(ref *placeholder) (json.RawMessage, error) {
				v, err := resolve(ref)
				if errors.Is(err, errNoValue) {
					return json.RawMessage("null"), nil
				}
				return v, err
			})
			if err != nil {
				return nil, fmt.Errorf("%s: JSON body: %w", sp.name, err)
			}
			preq.body = body
		}
		for k, v := range extra.JSON {
			preq.body[k] = v
		}
	}
	return preq, nil
}

// errNoValue is the error of an incremental placeholder without a value.
var errNoValue = errors.New("no value yet: set incremental.initial_value")

// resolver returns the placeholder values of one chain.
func (r *resource) resolver(rec map[string]json.RawMessage, run *incrRun) resolver {
	return func(ref *placeholder) (json.RawMessage, error) {
		if ref.parent != "" {
			v, ok := rec[ref.field.String()]
			if !ok {
				return nil, fmt.Errorf("placeholder {%s}: the %s item has no field %s; it has %s", ref.expr, ref.parent, ref.field, recordFields(rec))
			}
			return v, nil
		}
		if run == nil {
			return nil, fmt.Errorf("placeholder {%s}: the endpoint is not incremental", ref.expr)
		}
		v := run.value(ref.incremental)
		if v == nil {
			return nil, fmt.Errorf("placeholder {%s}: %w", ref.expr, errNoValue)
		}
		return v, nil
	}
}

func recordFields(rec map[string]json.RawMessage) string {
	var names []string
	for k := range rec {
		names = append(names, k)
	}
	if len(names) == 0 {
		return "none of the fields the dependent resources read"
	}
	return strings.Join(names, ", ")
}

// items selects the items of a response.
func (r *resource) items(resp *Response) ([]json.RawMessage, error) {
	r.mu.Lock()
	sel := r.selector
	if sel == nil {
		var err error
		if sel, err = detectSelector(resp.Body); err != nil {
			r.mu.Unlock()
			return nil, r.src.client.responseError(resp, "response is not JSON")
		}
		r.selector = sel
		r.logger.Info("detected data selector from the first response; set data_selector to skip detection", "data_selector", sel.String())
	}
	r.mu.Unlock()
	vals, err := sel.selectIn(resp)
	if err != nil {
		return nil, r.src.client.responseError(resp, "response is not JSON: "+err.Error())
	}
	switch {
	case len(vals) == 0:
		return nil, r.src.client.responseError(resp, fmt.Sprintf("data selector %s matched nothing", sel))
	case len(vals) > 1:
		return vals, nil
	}
	v := bytes.TrimSpace(vals[0])
	switch {
	case isNull(v):
		return nil, nil
	case isArray(v):
		if items, ok := resp.elements(v); ok {
			return items, nil
		}
		items, err := arrayElements(v, nil)
		if err != nil {
			return nil, r.src.client.responseError(resp, "items are not a JSON list: "+err.Error())
		}
		return items, nil
	}
	return []json.RawMessage{v}, nil
}

// process adds the parent's fields, runs the processing steps and then the
// incremental filter.
func (r *resource) process(items []json.RawMessage, rec map[string]json.RawMessage, run *incrRun) ([]json.RawMessage, error) {
	sp := r.spec
	if len(sp.include) > 0 {
		for i, it := range items {
			withParent, err := includeParent(it, sp.parent, sp.include, rec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sp.name, err)
			}
			items[i] = withParent
		}
	}
	for i, step := range r.steps {
		var out []json.RawMessage
		for _, it := range items {
			res, err := step(it)
			if err != nil {
				return nil, fmt.Errorf("%s: processing step %d: %w", sp.name, i+1, err)
			}
			out = append(out, res...)
		}
		items = out
	}
	if run == nil {
		return items, nil
	}
	kept := items[:0:0]
	for _, it := range items {
		ok, err := run.keep(it)
		if err != nil {
			return nil, fmt.Errorf("%s: incremental: %w", sp.name, err)
		}
		if ok {
			kept = append(kept, it)
		}
	}
	return kept, nil
}

// includeParent adds the parent fields to item as "_<parent>_<field>",
// replacing members of those names.
func includeParent(item json.RawMessage, parent string, fields []string, rec map[string]json.RawMessage) (json.RawMessage, error) {
	if !isObject(bytes.TrimSpace(item)) {
		return nil, fmt.Errorf("include_from_parent needs items that are JSON objects, got %.60s", item)
	}
	added := map[string]bool{}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, f := range fields {
		v, ok := rec[f]
		if !ok {
			return nil, fmt.Errorf("include_from_parent: the %s item has no field %s; it has %s", parent, f, recordFields(rec))
		}
		name := "_" + parent + "_" + f
		added[name] = true
		key, _ := json.Marshal(name)
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(v)
	}
	err := eachMember(bytes.TrimSpace(item), func(k string, v json.RawMessage) error {
		if added[k] {
			return nil
		}
		key, _ := json.Marshal(k)
		b.WriteByte(',')
		b.Write(key)
		b.WriteByte(':')
		b.Write(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// parentRecords returns the parent items' fields for this run and the
// parent state they cover. It reuses what the parent's own Extract
// recorded in this run when that started from the parent state this
// resource last covered; otherwise it lists the parent itself from that
// state, emitting nothing, so that no parent item changed since is
// missed.
func (r *resource) parentRecords(ctx context.Context, covered json.RawMessage) (*spool, json.RawMessage, bool, error) {
	p := r.parent
	if sp, start, end, complete, ok := p.feed.wait(ctx); ok {
		if sameJSON(start, covered) {
			return sp, end, complete, nil
		}
		r.logger.Info("parent items of this run start from another state than this resource covered; listing the parent again",
			"parent", p.spec.name)
	} else if ctx.Err() != nil {
		return nil, nil, false, ctx.Err()
	}
	sp, err := newSpool()
	if err != nil {
		return nil, nil, false, err
	}
	pctx, complete := source.WithCompletion(ctx)
	end, err := p.extract(pctx, covered, func(items []json.RawMessage) error { return p.record(sp, items) })
	if err == nil {
		err = sp.finish()
	}
	if err != nil {
		sp.close()
		return nil, nil, false, fmt.Errorf("list parent %s of %s: %w", p.spec.name, r.spec.name, err)
	}
	r.feedOwn(sp)
	return sp, end, complete(), nil
}

// feedOwn keeps a spool this resource listed itself until the next run or
// Close.
func (r *resource) feedOwn(sp *spool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.own != nil {
		r.own.close()
	}
	r.own = sp
}
