package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

// openEmbedded loads /embedded and returns the iframe's authorization URL.
func (e *testEnv) openEmbedded() string {
	e.t.Helper()
	p := do(e.t, e.client, http.MethodGet, e.base+"/embedded", nil)
	if p.status != http.StatusOK {
		e.t.Fatalf("GET /embedded: %d", p.status)
	}
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "connect-src 'self'", "frame-src " + e.fake.URL(), "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			e.t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(p.body, "<script>") {
		e.t.Error("inline script on the embedded page")
	}
	i := strings.Index(p.body, `src="`+e.fake.URL()+`/authorize?`)
	if i < 0 {
		e.t.Fatalf("no iframe src in %s", p.body)
	}
	src := p.body[i+5:]
	src = strings.ReplaceAll(src[:strings.IndexByte(src, '"')], "&amp;", "&")
	return src
}

func (e *testEnv) postMessage(body, contentType string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.base+"/embedded/complete", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(b), res: res}
}

// The embedded flow over HTTP: the forwarded message signs the user in
// once; a replay, a message for another state, a denial and a form post
// are refused.
func TestEmbeddedComplete(t *testing.T) {
	e := newTestEnv(t)
	e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})

	src := e.openEmbedded()
	msg, err := e.fake.ApproveEmbedded(src, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := e.postMessage(string(msg), "text/plain"); p.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain message: %d", p.status)
	}
	// The refused post above already dropped the state cookie: start again.
	src = e.openEmbedded()
	msg, _ = e.fake.ApproveEmbedded(src, "")
	p := e.postMessage(string(msg), "application/json")
	if p.status != http.StatusOK || !strings.Contains(p.body, `"redirect":"/status"`) {
		t.Fatalf("complete: %d %s", p.status, p.body)
	}
	st := do(t, e.client, http.MethodGet, e.base+"/status", nil)
	if !strings.Contains(st.body, "approved") {
		t.Errorf("status page: %s", st.body)
	}
	// Replaying the message: the state cookie is gone.
	if p := e.postMessage(string(msg), "application/json"); p.status != http.StatusBadRequest {
		t.Errorf("replay: %d", p.status)
	}
	// A message from another sign-in.
	e.openEmbedded()
	other, _ := url.Parse(src)
	q := other.Query()
	q.Set("state", "another-state")
	other.RawQuery = q.Encode()
	foreign, _ := e.fake.ApproveEmbedded(other.String(), "")
	if p := e.postMessage(string(foreign), "application/json"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "does not match") {
		t.Errorf("foreign state: %d %s", p.status, p.body)
	}
	// A denial.
	src = e.openEmbedded()
	denied, _ := e.fake.DenyEmbedded(src)
	if p := e.postMessage(string(denied), "application/json"); p.status != http.StatusForbidden {
		t.Errorf("denial: %d %s", p.status, p.body)
	}
	if e.fake.Count("POST", "/oauth/token") != 1 {
		t.Errorf("token requests: %d, want 1", e.fake.Count("POST", "/oauth/token"))
	}
	if strings.Contains(e.logs.String(), string(msg)) {
		t.Error("the message was logged")
	}
}
