package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// HTTPOptions configures the HTTP receiver.
type HTTPOptions struct {
	// MaxBody bounds the request body after decompression (default 32 MiB).
	MaxBody int64
	// MaxEvents bounds the records of one request (default 100,000).
	MaxEvents int
	// TokenCacheTTL is how long a token → source lookup is cached
	// (default 5s): a revoked token or disabled source stops working
	// within that time.
	TokenCacheTTL time.Duration
}

// maxListedErrors bounds the per-record errors in a 400 answer.
const maxListedErrors = 100

// HTTPHandler serves POST /api/v1/events. See ServeHTTP.
type HTTPHandler struct {
	in   *Ingester
	opts HTTPOptions

	mu    sync.Mutex
	cache map[string]cachedSource

	bufs sync.Pool // *bytes.Buffer
	evs  sync.Pool // *[]event.Event
	recs sync.Pool // *[]record
	gzrs sync.Pool // *gzip.Reader, reset for each body
}

type cachedSource struct {
	e   *entry
	exp time.Time
}

// HTTPHandler returns the HTTP receiver of in.
func (in *Ingester) HTTPHandler(opts HTTPOptions) *HTTPHandler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 32 << 20
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 100_000
	}
	if opts.TokenCacheTTL <= 0 {
		opts.TokenCacheTTL = 5 * time.Second
	}
	return &HTTPHandler{in: in, opts: opts, cache: make(map[string]cachedSource)}
}

// RecordError is one rejected record of a request.
type RecordError struct {
	// Line is the 1-based line of an NDJSON body, the 1-based element of
	// a JSON array, or 1 for a single object.
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// ServeHTTP takes a batch of events for the source whose push token is the
// bearer token. The body is one JSON object, a JSON array of objects or
// NDJSON (one object per line), optionally gzip-compressed
// (Content-Encoding: gzip); each record is parsed by the source's format.
//
// A request is all or nothing: when any record is rejected the answer is
// 400 {"accepted":0,"errors":[{"line":n,"error":"…"}]} and no event of the
// request is stored; otherwise the answer is 202 {"accepted":N} once all N
// events are durable. The events always belong to the token's tenant and
// source, whatever the body says. Other answers: 401 bad token, 413 body
// or batch too large, 415 unknown encoding, 429 over quota or rate limit
// and 503 backlog full or bus unavailable (both with Retry-After; retry
// the whole request).
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const kind = store.SourceHTTP
	in := h.in
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		in.refuse(kind, ReasonUnknownSender, 1)
		w.Header().Set("WWW-Authenticate", `Bearer realm="vedetta-ingest"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "a source token is required (Authorization: Bearer …)")
		return
	}
	e, err := h.source(r, strings.TrimSpace(token))
	if err != nil {
		in.refuse(kind, ReasonUnknownSender, 1)
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vedetta-ingest", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "unknown or disabled source token")
			return
		}
		in.log.Error("ingest: token lookup failed", "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, ReasonUnavailable, "source lookup failed, retry later")
		return
	}
	src := &e.src

	buf := h.getBuf()
	defer h.bufs.Put(buf)
	if status, code, err := h.readBody(w, r, buf); err != nil {
		in.refuse(kind, code, 1)
		in.health.fail(src.ID, err.Error())
		writeError(w, status, code, err.Error())
		return
	}
	recsp := h.getRecords()
	defer h.putRecords(recsp)
	records, rerr := appendRecords((*recsp)[:0], buf.Bytes())
	*recsp = records
	if rerr != nil {
		in.received(kind, 1)
		in.parseError(kind, src, errors.New(rerr.Error))
		writeJSON(w, http.StatusBadRequest, map[string]any{"accepted": 0, "errors": []RecordError{*rerr}})
		return
	}
	in.received(kind, len(records))
	if len(records) == 0 {
		writeError(w, http.StatusBadRequest, "empty", "the body holds no event")
		return
	}
	if len(records) > h.opts.MaxEvents {
		in.refuse(kind, ReasonTooLarge, len(records))
		writeError(w, http.StatusRequestEntityTooLarge, ReasonTooLarge, fmt.Sprintf("%d records, at most %d per request", len(records), h.opts.MaxEvents))
		return
	}
	evsp := h.getEvents(len(records))
	defer h.evs.Put(evsp)
	evs := (*evsp)[:len(records)]
	n, fails, err := parseRecords(e, records, evs)
	if err != nil {
		in.parseError(kind, src, err)
		writeError(w, http.StatusInternalServerError, "source_config", "the source's format cannot be used: "+err.Error())
		return
	}
	var errs []RecordError
	for _, f := range fails {
		in.parseError(kind, src, f.err)
		if len(errs) < maxListedErrors {
			errs = append(errs, RecordError{Line: f.line, Error: f.err.Error()})
		}
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"accepted": 0, "errors": errs})
		return
	}
	if err := in.Submit(r.Context(), kind, src, evs[:n]); err != nil {
		var re *RefusedError
		if !errors.As(err, &re) {
			writeError(w, http.StatusInternalServerError, "internal", "internal error")
			return
		}
		status := http.StatusServiceUnavailable
		switch re.Reason {
		case ReasonRateLimit, ReasonTenantQuota:
			status = http.StatusTooManyRequests
			if !re.Retryable() {
				status = http.StatusRequestEntityTooLarge
			}
		case ReasonTooLarge:
			status = http.StatusRequestEntityTooLarge
		case ReasonDisabled:
			status = http.StatusForbidden
		}
		if re.Retryable() {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(re.RetryAfter.Seconds()))))
		}
		writeError(w, status, re.Reason, re.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": n})
}

// recordFailure is a record that did not parse.
type recordFailure struct {
	line int
	err  error
}

// Requests of at least 2×minParallelRecords records in a format without
// state between records are parsed by several goroutines (one parser
// each, up to GOMAXPROCS), so that one large request can use every CPU
// while other requests wait for the bus.
const minParallelRecords = 256

// parallelFormats are the formats whose parse of a record does not depend
// on the records before it (the IIS parser, for one, remembers #Fields).
var parallelFormats = map[string]bool{"windows": true, "json": true, "accesscontrol": true, "frigate": true, "cef": true}

// parseRecords parses records into evs (of the same length) with parsers
// of e. It returns how many events it kept, at the front of evs in record
// order, and the failures in record order; records that yield
// normalize.ErrNoEvent are skipped. err reports a source whose parser
// cannot be built.
func parseRecords(e *entry, records []record, evs []event.Event) (n int, fails []recordFailure, err error) {
	p, err := e.parser()
	if err != nil {
		return 0, nil, err
	}
	chunks := min(runtime.GOMAXPROCS(0), len(records)/minParallelRecords)
	if chunks < 2 || !parallelFormats[p.Name()] {
		n, fails = parseChunk(p, records, evs)
		e.release(p)
		return n, fails, nil
	}
	type part struct {
		lo, n int
		fails []recordFailure
		err   error
	}
	parts := make([]part, chunks)
	size := (len(records) + chunks - 1) / chunks
	var wg sync.WaitGroup
	for c := range parts {
		lo, hi := min(c*size, len(records)), min((c+1)*size, len(records))
		parts[c].lo = lo
		if c == 0 {
			continue // this goroutine's share, below
		}
		wg.Go(func() {
			q, err := e.parser()
			if err != nil {
				parts[c].err = err
				return
			}
			parts[c].n, parts[c].fails = parseChunk(q, records[lo:hi], evs[lo:hi])
			e.release(q)
		})
	}
	parts[0].n, parts[0].fails = parseChunk(p, records[:min(size, len(records))], evs[:min(size, len(records))])
	e.release(p)
	wg.Wait()
	for _, pt := range parts {
		if pt.err != nil {
			return 0, nil, pt.err
		}
		// Swap rather than copy: every slot keeps a Fields map of its own.
		for i := range pt.n {
			evs[n], evs[pt.lo+i] = evs[pt.lo+i], evs[n]
			n++
		}
		fails = append(fails, pt.fails...)
	}
	return n, fails, nil
}

// parseChunk parses records into evs (of the same length) with p, keeping
// the events at the front.
func parseChunk(p normalize.Parser, records []record, evs []event.Event) (n int, fails []recordFailure) {
	for _, rec := range records {
		evs[n].ID = "" // a reused slot: Submit gives it a new id
		if err := p.Parse(rec.data, &evs[n]); err != nil {
			if !errors.Is(err, normalize.ErrNoEvent) {
				fails = append(fails, recordFailure{line: rec.line, err: err})
			}
			continue
		}
		n++
	}
	return n, fails
}

// source finds the HTTP source of a token, through a short cache.
func (h *HTTPHandler) source(r *http.Request, token string) (*entry, error) {
	hash := auth.HashToken(token)
	now := time.Now()
	h.mu.Lock()
	c, ok := h.cache[hash]
	h.mu.Unlock()
	if ok && now.Before(c.exp) {
		return c.e, nil
	}
	s, err := h.in.sources.GetSourceByTokenHash(r.Context(), hash)
	if err != nil {
		return nil, err
	}
	if s.Kind != store.SourceHTTP || !s.Enabled || s.TokenHash != hash {
		return nil, fmt.Errorf("ingest: token: %w", store.ErrNotFound)
	}
	e := h.in.reg.get(s.ID)
	if e == nil || e.src != *s {
		e = newEntry(*s)
	}
	h.mu.Lock()
	if len(h.cache) > 10000 {
		clear(h.cache)
	}
	h.cache[hash] = cachedSource{e: e, exp: now.Add(h.opts.TokenCacheTTL)}
	h.mu.Unlock()
	return e, nil
}

func (h *HTTPHandler) getBuf() *bytes.Buffer {
	if b, ok := h.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (h *HTTPHandler) getRecords() *[]record {
	if p, ok := h.recs.Get().(*[]record); ok {
		return p
	}
	return new([]record)
}

// putRecords returns a record list to the pool, dropping its references to
// the body.
func (h *HTTPHandler) putRecords(p *[]record) {
	clear(*p)
	*p = (*p)[:0]
	h.recs.Put(p)
}

func (h *HTTPHandler) getEvents(n int) *[]event.Event {
	if p, ok := h.evs.Get().(*[]event.Event); ok && cap(*p) >= n {
		return p
	}
	s := make([]event.Event, n)
	return &s
}

// readBody reads the (decompressed) body into buf within MaxBody.
func (h *HTTPHandler) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (int, string, error) {
	body := http.MaxBytesReader(w, r.Body, h.opts.MaxBody)
	var rd io.Reader = body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		// A gzip.Reader holds about 45 KB of decoder state and window:
		// reuse it across requests.
		zr, _ := h.gzrs.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(body)
		} else {
			err = zr.Reset(body)
		}
		if err != nil {
			return http.StatusBadRequest, ReasonMalformed, fmt.Errorf("gzip: %w", err)
		}
		defer func() {
			// Drop the reference to the body; a reader that is not an
			// io.ByteReader keeps zr's bufio.Reader in use.
			zr.Reset(io.MultiReader(bytes.NewReader(emptyGzip)))
			h.gzrs.Put(zr)
		}()
		rd = zr
	default:
		return http.StatusUnsupportedMediaType, ReasonMalformed, fmt.Errorf("content encoding %q not supported (use gzip or none)", enc)
	}
	if rd == body && r.ContentLength > 0 && r.ContentLength <= h.opts.MaxBody {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // at most one allocation for the body
	}
	n, err := buf.ReadFrom(io.LimitReader(rd, h.opts.MaxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || n > h.opts.MaxBody:
		return http.StatusRequestEntityTooLarge, ReasonTooLarge, fmt.Errorf("body over %d bytes", h.opts.MaxBody)
	case err != nil:
		return http.StatusBadRequest, ReasonMalformed, fmt.Errorf("reading body: %w", err)
	}
	return 0, "", nil
}

// emptyGzip is a complete gzip stream of no data, which a pooled
// gzip.Reader is reset to so that it keeps no reference to a request body.
var emptyGzip = func() []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Close()
	return b.Bytes()
}()

// record is one JSON document of a request body.
type record struct {
	line int
	data []byte
}

// splitRecords splits a body into records: a JSON array into its elements
// (numbered from 1), a body that is one JSON value into itself, anything
// else into its non-empty lines (NDJSON, numbered by line).
func splitRecords(b []byte) ([]record, *RecordError) {
	return appendRecords(nil, b)
}

// appendRecords is splitRecords appending to recs (which it returns, even
// on error, for reuse).
func appendRecords(recs []record, b []byte) ([]record, *RecordError) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return recs, nil
	}
	if t[0] == '[' {
		elems, err := splitJSONArray(t)
		if err != nil {
			return recs, &RecordError{Line: 1, Error: err.Error()}
		}
		for i, e := range elems {
			recs = append(recs, record{line: i + 1, data: e})
		}
		return recs, nil
	}
	if bytes.IndexByte(t, '\n') < 0 || json.Valid(t) {
		return append(recs, record{line: 1, data: t}), nil
	}
	line := 0
	for len(b) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			l, b = b, nil
		}
		if l = bytes.TrimSpace(l); len(l) > 0 {
			recs = append(recs, record{line: line, data: l})
		}
	}
	return recs, nil
}

// errBadArray reports a JSON array that cannot be split into elements.
var errBadArray = errors.New("ingest: malformed JSON array")

// splitJSONArray returns the raw elements of a JSON array. It checks the
// structure (brackets, strings, commas) but not the elements' grammar,
// which their parser does.
func splitJSONArray(b []byte) ([][]byte, error) {
	if len(b) < 2 || b[0] != '[' {
		return nil, fmt.Errorf("%w: does not start with [", errBadArray)
	}
	var out [][]byte
	i := skipWS(b, 1)
	if i < len(b) && b[i] == ']' {
		if skipWS(b, i+1) != len(b) {
			return nil, fmt.Errorf("%w: data after the array", errBadArray)
		}
		return out, nil
	}
	for {
		start := i
		depth := 0
	elem:
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				j := i + 1
				for ; j < len(b); j++ {
					if b[j] == '\\' {
						j++
						continue
					}
					if b[j] == '"' {
						break
					}
				}
				if j >= len(b) {
					return nil, fmt.Errorf("%w: element %d: unterminated string", errBadArray, len(out)+1)
				}
				i = j
			case '{', '[':
				depth++
				if depth > 512 {
					return nil, fmt.Errorf("%w: element %d: nested too deeply", errBadArray, len(out)+1)
				}
			case '}', ']':
				if depth == 0 {
					break elem
				}
				depth--
			case ',':
				if depth == 0 {
					break elem
				}
			}
		}
		if i >= len(b) {
			return nil, fmt.Errorf("%w: unterminated", errBadArray)
		}
		el := bytes.TrimSpace(b[start:i])
		if len(el) == 0 {
			return nil, fmt.Errorf("%w: element %d is empty", errBadArray, len(out)+1)
		}
		out = append(out, el)
		if b[i] == ']' {
			if skipWS(b, i+1) != len(b) {
				return nil, fmt.Errorf("%w: data after the array", errBadArray)
			}
			return out, nil
		}
		if b[i] == '}' {
			return nil, fmt.Errorf("%w: element %d: unexpected }", errBadArray, len(out))
		}
		i++ // ','
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": "ingest." + code, "message": msg}})
}
