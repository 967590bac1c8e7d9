package kyc_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// The tracing test: calls of three clients against their fakes, traced
// through an SDK tracer provider with an in-memory recorder. It checks the
// span names, the parent/child structure, the attributes, and that no
// sentinel (user ID, personal data, API key, body, query, per-call header,
// and every token and secret that crossed the wire) appears in any span.

// wireSecrets records the credentials and bodies requests carry, so they
// can be searched for in the spans.
type wireSecrets struct {
	next http.RoundTripper
	mu   sync.Mutex
	vals []string
}

func (w *wireSecrets) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	for _, h := range []string{"Authorization", "X-Api-Key", "X-Incode-Hardware-Id"} {
		if v := r.Header.Get(h); v != "" {
			w.vals = append(w.vals, strings.TrimPrefix(v, "Bearer "))
		}
	}
	if r.URL.RawQuery != "" {
		w.vals = append(w.vals, r.URL.RawQuery)
	}
	w.mu.Unlock()
	if r.Body != nil && r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			body, _ := io.ReadAll(b)
			_ = b.Close()
			if len(body) > 0 {
				w.mu.Lock()
				w.vals = append(w.vals, string(body))
				w.mu.Unlock()
			}
		}
	}
	return w.next.RoundTrip(r)
}

func (w *wireSecrets) values() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.vals...)
}

func TestTracing(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx := t.Context()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	wire := &wireSecrets{next: tr}
	hc := &http.Client{Transport: wire}

	const (
		userID   = "SENTINEL-USER-ID-5b1e"
		apiKey   = "SENTINEL-EKYC-API-KEY-93d0"
		callback = "https://app.example/cb?state=SENTINEL-CALLBACK-77aa"
		header   = "SENTINEL-CALL-HEADER-1c2d"
		given    = "SENTINEL-GIVEN-NAME"
	)
	sentinels := []string{userID, apiKey, callback, "SENTINEL-CALLBACK-77aa", header, given, "SENTINEL"}

	// EKYC admin: a read retried after a 503, a create with a callback, a
	// 404, with an API key and a per-call header.
	esrv := ekycadmintest.NewServer(t)
	u := ekycadmintest.ValidUser(userID)
	u.GivenName = given
	esrv.AddUser(u)
	id, secret := esrv.Credentials(ekycadmintest.AllPermissions()...)
	sentinels = append(sentinels, secret)
	ec, err := ekycadmin.NewClient(option.WithBaseURL(esrv.BaseURL()), ekycadmin.WithTokenURL(esrv.TokenURL()),
		ekycadmin.WithCredentials(id, secret), ekycadmin.WithAPIKey(apiKey), option.WithHTTPClient(hc),
		option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: time.Second}), option.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	statusPath := "/ekyc/admin/" + userID + "/status"
	esrv.InjectFault(http.MethodGet, statusPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := ec.UserStatus(ctx, userID, option.WithHeader("X-Extra", header)); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.CreateSession(ctx, userID, &ekycadmin.CreateSessionRequest{Callback: callback}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.UserSessions(ctx, "SENTINEL-NO-SUCH-USER"); err == nil {
		t.Fatal("UserSessions of an unknown user succeeded")
	}

	// Fractal ID: Me with a user's token.
	fsrv := fractalidtest.NewServer(t)
	fu := fsrv.AddUser(fractalidtest.User{Emails: []fractalidtest.Email{{Address: "sentinel.person@example.com"}}})
	sentinels = append(sentinels, "sentinel.person@example.com", fu.ID())
	tok, err := fsrv.IssueToken(fu.ID(), fractalid.ScopeUID, fractalid.ScopeContact)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fractalid.NewClient(oauth2.StaticTokenSource(tok), fractalid.WithEnvironment(fsrv.Environment()),
		option.WithHTTPClient(hc), option.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fc.Me(ctx); err != nil {
		t.Fatal(err)
	}

	// Incode: a session started with the API key; its token is a secret.
	isrv := incodetest.NewServer(t)
	ic, err := incode.NewClient(append(isrv.ClientOptions(), option.WithHTTPClient(hc), option.WithTracerProvider(tp))...)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := ic.StartOnboarding(ctx, &incode.StartRequest{ExternalCustomerID: "SENTINEL-CUSTOMER-42"})
	if err != nil {
		t.Fatal(err)
	}
	sentinels = append(sentinels, sess.Token.Reveal(), isrv.APIKey(), isrv.ClientSecret())
	sentinels = append(sentinels, wire.values()...)

	spans := rec.Ended()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	children := func(parent sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
		var out []sdktrace.ReadOnlySpan
		for _, s := range spans {
			if s.Parent().SpanID() == parent.SpanContext().SpanID() {
				out = append(out, s)
			}
		}
		return out
	}
	attrs := func(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
		m := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			m[kv.Key] = kv.Value
		}
		return m
	}
	one := func(name string) sdktrace.ReadOnlySpan {
		t.Helper()
		if len(byName[name]) != 1 {
			t.Fatalf("%d spans named %q, want 1 (spans: %v)", len(byName[name]), name, names(spans))
		}
		return byName[name][0]
	}

	// UserStatus: one call span, two attempts, the second a retry after a 503.
	us := one("ekycadmin.UserStatus")
	if us.Parent().IsValid() {
		t.Error("the call span has a parent")
	}
	atts := children(us)
	if len(atts) != 2 {
		t.Fatalf("UserStatus has %d attempt spans, want 2", len(atts))
	}
	a1, a2 := attrs(atts[0]), attrs(atts[1])
	for i, a := range []map[attribute.Key]attribute.Value{a1, a2} {
		if atts[i].Name() != "GET /ekyc/admin/{userId}/status" || a["url.template"].AsString() != "/ekyc/admin/{userId}/status" ||
			a["http.request.method"].AsString() != "GET" || a["kyc.attempt"].AsInt64() != int64(i+1) || a["server.address"].AsString() != "127.0.0.1" {
			t.Errorf("attempt %d: %s %v", i+1, atts[i].Name(), a)
		}
	}
	if a1["http.response.status_code"].AsInt64() != 503 || atts[0].Status().Code != codes.Error {
		t.Errorf("first attempt: %v, status %v", a1, atts[0].Status())
	}
	if a2["http.response.status_code"].AsInt64() != 200 || a2["kyc.retry_reason"].AsString() != "status 503" || a2["http.request.resend_count"].AsInt64() != 1 {
		t.Errorf("second attempt: %v", a2)
	}
	log := esrv.Requests()
	var statusIDs []string
	for _, r := range log {
		if r.Path == statusPath {
			statusIDs = append(statusIDs, r.RequestID)
		}
	}
	if len(statusIDs) != 2 || a1["kyc.request_id"].AsString() != statusIDs[0] || a2["kyc.request_id"].AsString() != statusIDs[1] {
		t.Errorf("attempt request IDs %q, %q; the fake sent %q", a1["kyc.request_id"].AsString(), a2["kyc.request_id"].AsString(), statusIDs)
	}
	if c := attrs(us); c["kyc.attempts"].AsInt64() != 2 || c["http.response.status_code"].AsInt64() != 200 || us.Status().Code == codes.Error {
		t.Errorf("UserStatus call span: %v, status %v", c, us.Status())
	}

	// CreateSession: one attempt with the route template of a POST.
	cs := one("ekycadmin.CreateSession")
	if ch := children(cs); len(ch) != 1 || ch[0].Name() != "POST /ekyc/admin/{userId}/sessions" {
		t.Errorf("CreateSession attempts: %v", names(ch))
	}

	// UserSessions of an unknown user: the call span is an error, by status only.
	usess := one("ekycadmin.UserSessions")
	if usess.Status().Code != codes.Error || attrs(usess)["error.type"].AsString() != "404" || usess.Status().Description != "404" {
		t.Errorf("failed call span: status %v, attributes %v", usess.Status(), attrs(usess))
	}

	// Me and StartOnboarding.
	if ch := children(one("fractalid.Me")); len(ch) != 1 || ch[0].Name() != "GET /v2/users/me" {
		t.Errorf("Me attempts: %v", names(ch))
	}
	if ch := children(one("incode.StartOnboarding")); len(ch) != 1 || ch[0].Name() != "POST /omni/start" {
		t.Errorf("StartOnboarding attempts: %v", names(ch))
	}

	// Token requests are not traced as calls of their own, and every span
	// is a call span or the child of one.
	calls := 0
	for _, s := range spans {
		if !s.Parent().IsValid() {
			calls++
			if !strings.Contains(s.Name(), ".") || strings.Contains(strings.ToLower(s.Name()), "token") {
				t.Errorf("unexpected root span %q", s.Name())
			}
		}
	}
	if calls != 5 {
		t.Errorf("%d call spans, want 5: %v", calls, names(spans))
	}

	// No sentinel anywhere in any span.
	hits := 0
	for _, s := range spans {
		texts := []string{s.Name(), s.Status().Description}
		for _, kv := range s.Attributes() {
			texts = append(texts, string(kv.Key), kv.Value.String())
		}
		for _, e := range s.Events() {
			texts = append(texts, e.Name)
			for _, kv := range e.Attributes {
				texts = append(texts, kv.Value.String())
			}
		}
		for _, kv := range s.Resource().Attributes() {
			texts = append(texts, kv.Value.String())
		}
		for _, txt := range texts {
			for _, sen := range sentinels {
				if len(sen) >= 8 && strings.Contains(txt, sen) {
					hits++
					t.Errorf("span %q carries a sentinel in %q", s.Name(), txt)
				}
			}
		}
	}
	if len(sentinels) < 12 {
		t.Fatalf("only %d sentinels collected", len(sentinels))
	}
	t.Logf("%d spans, %d sentinels searched, %d hits", len(spans), len(sentinels), hits)
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// TestTracingStatsExport: the statistics export is traced as its own
// operation, with the HTTP attempt under it.
func TestTracingStatsExport(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	srv := fractalidtest.NewServer(t)
	srv.AddUser(fractalidtest.User{})
	app := srv.DefaultClient()
	stats, err := fractalid.NewStatsClient(fractalid.WithCredentials(app.ID, app.Secret), fractalid.WithEnvironment(srv.Environment()),
		option.WithHTTPClient(srv.HTTPClient()), option.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	if err := stats.ExportUserVerifications(t.Context(), io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := stats.UserVerifications(t.Context()); err != nil {
		t.Fatal(err)
	}
	var roots []string
	for _, s := range rec.Ended() {
		if s.Parent().IsValid() {
			continue
		}
		roots = append(roots, s.Name())
		var kids []string
		for _, c := range rec.Ended() {
			if c.Parent().SpanID() == s.SpanContext().SpanID() {
				kids = append(kids, c.Name())
			}
		}
		if len(kids) != 1 || kids[0] != "GET /v2/stats/user-verifications" {
			t.Errorf("span %s has children %v", s.Name(), kids)
		}
	}
	if strings.Join(roots, ",") != "fractalid.ExportUserVerifications,fractalid.UserVerifications" {
		t.Fatalf("call spans %v", roots)
	}
}
