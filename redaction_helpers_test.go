package kyc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// This file holds the harness of redaction_test.go: the set of sentinel
// values, a transport that adds the secrets the fakes choose (tokens,
// generated credentials) to that set as they cross the wire, a debug logger
// writing JSON and text lines, and the recorder that renders every error and
// model and reports any sentinel found in them.

// sentinelSet maps sentinel values to the name a failure reports. It is
// safe for concurrent use: the capturing transport adds to it from the
// clients' goroutines.
type sentinelSet struct {
	mu     sync.Mutex
	byVal  map[string]string
	values []string
	// offered holds every name a value was offered under, so a test can
	// check that a capture happened even when the value was known already.
	offered map[string]bool
}

func newSentinelSet() *sentinelSet {
	return &sentinelSet{byVal: map[string]string{}, offered: map[string]bool{}}
}

// add registers value under name. Values shorter than 8 bytes are refused:
// they would match by chance.
func (s *sentinelSet) add(t testing.TB, name, value string) {
	t.Helper()
	if len(value) < 8 {
		t.Fatalf("sentinel %s = %q is too short to be distinctive", name, value)
	}
	s.addDynamic(name, value)
}

// addDynamic registers a value chosen by a fake (a token, a generated
// secret); values too short to be distinctive are skipped.
func (s *sentinelSet) addDynamic(name, value string) {
	if len(value) < 8 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered[name] = true
	if _, ok := s.byVal[value]; !ok {
		s.byVal[value] = name
		s.values = append(s.values, value)
	}
}

// needle is one encoding of one sentinel.
type needle struct {
	name, encoding, text string
}

// needles returns every sentinel as-is, URL-query-escaped and JSON-escaped
// (with and without HTML escaping), without duplicates.
func (s *sentinelSet) needles() []needle {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []needle
	for _, v := range s.values {
		name := s.byVal[v]
		seen := map[string]bool{}
		addForm := func(encoding, text string) {
			if !seen[text] {
				seen[text] = true
				out = append(out, needle{name, encoding, text})
			}
		}
		addForm("as-is", v)
		addForm("URL-query-escaped", url.QueryEscape(v))
		addForm("URL-path-escaped", url.PathEscape(v))
		js, _ := json.Marshal(v)
		addForm("JSON-escaped", string(js[1:len(js)-1]))
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		raw := strings.TrimSuffix(buf.String(), "\n")
		addForm("JSON-escaped", raw[1:len(raw)-1])
	}
	return out
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// teeHandler sends every record to several handlers, so each log call
// produces a JSON line and a text line.
type teeHandler []slog.Handler

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, x := range h {
		if x.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, x := range h {
		if x.Enabled(ctx, r.Level) {
			errs = append(errs, x.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithAttrs(as)
	}
	return out
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithGroup(name)
	}
	return out
}

// debugLogger returns a Debug-level logger writing JSON and text lines to w.
func debugLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(teeHandler{slog.NewJSONHandler(w, opts), slog.NewTextHandler(w, opts)})
}

// output is one rendering to check, with where it came from.
type output struct {
	where, text string
}

// recorder collects the renderings of one scenario and checks them against
// the sentinels when the scenario ends.
type recorder struct {
	t       *testing.T
	s       *sentinelSet
	logs    *lockedBuffer
	logger  *slog.Logger
	mu      sync.Mutex
	outputs []output
	errs    int
	models  int
}

func newRecorder(t *testing.T, s *sentinelSet) *recorder {
	logs := &lockedBuffer{}
	return &recorder{t: t, s: s, logs: logs, logger: debugLogger(logs)}
}

func (r *recorder) record(where, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = append(r.outputs, output{where, text})
}

// renderings of a value: the fmt verbs and slog through both handlers.
func (r *recorder) render(where string, v any) {
	r.record(where+" as %v %+v %#v", fmt.Sprintf("%v\n%+v\n%#v", v, v, v))
	var buf bytes.Buffer
	debugLogger(&buf).Debug("value", "v", v)
	r.record(where+" through slog", buf.String())
}

// failed records err, which the scenario expects to be non-nil: its
// Error(), its fmt verbs and slog, and the same for every error of this
// module in its chain (what errors.As hands a caller, e.g. an *APIError).
func (r *recorder) failed(where string, err error) {
	r.t.Helper()
	if err == nil {
		r.t.Errorf("%s: expected an error, got nil", where)
		return
	}
	r.errs++
	r.record(where+": Error()", err.Error())
	r.render(where, err)
	for i, e := range ownErrors(err) {
		r.render(fmt.Sprintf("%s: chain[%d] %T", where, i, e), e)
	}
}

// value records a model, configuration or client. A slice or map is
// rendered whole with fmt, which formats each element through its own
// methods, and element by element through slog: slog applies LogValue to
// the logged value only, and the JSON handler marshals a slice or map of
// models with encoding/json, so models are logged one by one (as the
// packages' documentation says).
func (r *recorder) value(where string, v any) {
	r.models++
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		r.record(where+" as %v %+v %#v", fmt.Sprintf("%v\n%+v\n%#v", v, v, v))
		for i := range rv.Len() {
			r.render(fmt.Sprintf("%s[%d]", where, i), rv.Index(i).Interface())
		}
	case reflect.Map:
		r.record(where+" as %v %+v %#v", fmt.Sprintf("%v\n%+v\n%#v", v, v, v))
		for it := rv.MapRange(); it.Next(); {
			r.render(fmt.Sprintf("%s[%v]", where, it.Key()), it.Value().Interface())
		}
	default:
		r.render(where, v)
	}
}

// ok fails the scenario on an unexpected error, after recording it.
func (r *recorder) ok(where string, err error) {
	r.t.Helper()
	if err != nil {
		r.failed(where, err)
		r.t.Fatalf("%s: unexpected error: %v", where, err)
	}
}

// ownErrors walks err's tree and returns the errors whose type is declared
// in this module (third-party wrappers such as *url.Error or
// *oauth2.RetrieveError keep their own contract).
func ownErrors(err error) []error {
	var out []error
	var walk func(e error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if t := reflect.TypeOf(e); strings.HasPrefix(pkgPath(t), "github.com/kycgo/kyc") {
			out = append(out, e)
		}
		switch u := e.(type) { //nolint:errorlint // walks the wrap chain itself
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

func pkgPath(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath()
}

// check reports every sentinel found in the recorded renderings and in
// every log line, naming the sentinel, its encoding and where it appeared.
func (r *recorder) check() {
	r.t.Helper()
	for _, f := range r.findings() {
		r.t.Error(f)
	}
}

// findings lists the leaks found, one message per sentinel, encoding and
// place.
func (r *recorder) findings() []string {
	needles := r.s.needles()
	r.mu.Lock()
	outs := append([]output(nil), r.outputs...)
	r.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(r.logs.String()), "\n")
	for i, l := range lines {
		if l != "" {
			outs = append(outs, output{fmt.Sprintf("client log line %d", i+1), l})
		}
	}
	var out []string
	for _, o := range outs {
		for _, n := range needles {
			if idx := strings.Index(o.text, n.text); idx >= 0 {
				out = append(out, fmt.Sprintf("sentinel %q (%s) leaked in %s: …%s…", n.name, n.encoding, o.where, excerpt(o.text, idx, len(n.text))))
			}
		}
	}
	return out
}

// has reports whether a value was offered under name.
func (s *sentinelSet) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered[name]
}

func excerpt(s string, idx, n int) string {
	from, to := max(0, idx-60), min(len(s), idx+n+60)
	return strings.ReplaceAll(s[from:to], "\n", `\n`)
}

// captureTransport adds to the sentinel set every secret that crosses the
// wire and that the test could not choose: Bearer tokens and Basic
// credentials sent, client secrets, codes and refresh tokens in form bodies,
// and the tokens of token endpoint replies.
type captureTransport struct {
	base http.RoundTripper
	s    *sentinelSet
}

func captureClient(base *http.Client, s *sentinelSet) *http.Client {
	rt := http.DefaultTransport
	if base != nil && base.Transport != nil {
		rt = base.Transport
	}
	return &http.Client{Transport: &captureTransport{base: rt, s: s}}
}

func (c *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	auth := req.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
		c.s.addDynamic("bearer token sent", tok)
	}
	if raw, ok := strings.CutPrefix(auth, "Basic "); ok {
		if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
			if _, pass, ok := strings.Cut(string(b), ":"); ok {
				c.s.addDynamic("Basic-auth client secret", pass)
			}
		}
	}
	if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		if form, err := url.ParseQuery(string(b)); err == nil {
			for _, k := range []string{"client_secret", "code", "refresh_token"} {
				c.s.addDynamic("form "+k, form.Get(k))
			}
		}
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/token") {
		return resp, err
	}
	b, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var body io.Reader = bytes.NewReader(b)
	if rerr != nil {
		body = io.MultiReader(body, errReader{rerr})
	}
	resp.Body = io.NopCloser(body)
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	if json.Unmarshal(b, &tok) == nil {
		c.s.addDynamic("access token issued", tok.AccessToken)
		c.s.addDynamic("refresh token issued", tok.RefreshToken)
		c.s.addDynamic("id token issued", tok.IDToken)
	}
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
