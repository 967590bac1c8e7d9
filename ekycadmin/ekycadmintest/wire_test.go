package ekycadmintest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/kyctest"
)

// Wire-level checks with a plain http.Client: the exact status codes,
// headers and bodies the fake sends, and their conformance to the API's
// published schemas.

// schemaKeys are the properties of the published schemas.
var schemaKeys = map[string][]string{
	"PersonVerificationSession":  {"sessionToken", "url", "id", "status", "creation_date", "modified_date", "original_request"},
	"EkycUserSession":            {"id", "sessions"},
	"UserStatusResponse":         {"timestamp", "total_sessions", "verification", "started", "rejected", "success", "expired", "submitted", "created"},
	"PersonVerification":         {"status", "reason", "timestamp"},
	"MissingPermissionsResponse": {"missing_permissions"},
}

var verdictEnum = []string{"started", "expired", "abandoned", "rejected", "success", "submitted", "declined", "approved"}

func conform(t *testing.T, schema string, v map[string]any) {
	t.Helper()
	for k, val := range v {
		if !slices.Contains(schemaKeys[schema], k) {
			t.Errorf("%s has key %q outside the schema", schema, k)
		}
		if val == nil {
			t.Errorf("%s.%s is null; the server leaves unset fields out", schema, k)
		}
	}
	switch schema {
	case "EkycUserSession":
		for _, s := range v["sessions"].(map[string]any) {
			conform(t, "PersonVerificationSession", s.(map[string]any))
		}
	case "UserStatusResponse":
		for _, b := range []string{"started", "rejected", "success", "expired", "submitted", "created"} {
			if s, ok := v[b]; ok {
				conform(t, "PersonVerificationSession", s.(map[string]any))
			}
		}
		if ts, ok := v["timestamp"].(string); !ok {
			t.Errorf("timestamp missing")
		} else if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("timestamp %q is not a date-time", ts)
		}
		if pv, ok := v["verification"].(map[string]any); ok {
			conform(t, "PersonVerification", pv)
			if !slices.Contains(verdictEnum, pv["status"].(string)) {
				t.Errorf("verification.status %q outside the enum", pv["status"])
			}
		}
	}
}

type wire struct {
	t   *testing.T
	srv *ekycadmintest.Server
	tok string
}

func (w wire) do(method, path, contentType, body string) (*http.Response, []byte) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.BaseURL()+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if w.tok != "" {
		req.Header.Set("Authorization", "Bearer "+w.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp, b
}

func object(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return v
}

func TestWireShapes(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("u"))
	srv.AddUser(ekycadmintest.User{ID: "kid", GivenName: "A", FamilyName: "B", BirthDate: time.Now().AddDate(-10, 0, 0).Format("2006-01-02")})
	w := wire{t, srv, srv.Token(ekycadmintest.AllPermissions()...)}

	resp, b := w.do("POST", "/ekyc/admin/u/sessions", "application/json", `{"callback":"https://example.com/cb","unknown":1}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("create: %d %q", resp.StatusCode, b)
	}
	created := object(t, b)
	conform(t, "PersonVerificationSession", created)
	if len(created) != 4 || created["status"] != "created" {
		t.Fatalf("create returns exactly sessionToken, url, id and status: %v", created)
	}
	sid := created["id"].(string)
	if err := srv.SetSessionStatus("u", sid, "started"); err != nil {
		t.Fatal(err)
	}

	resp, b = w.do("GET", "/ekyc/admin/u/sessions", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("get: %d", resp.StatusCode)
	}
	conform(t, "EkycUserSession", object(t, b))

	resp, b = w.do("GET", "/ekyc/admin?start=0&limit=10", "", "")
	var list []map[string]any
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 || len(list) != 1 {
		t.Fatalf("list: %d %q %v", resp.StatusCode, b, err)
	}
	conform(t, "EkycUserSession", list[0])
	if _, b = w.do("GET", "/ekyc/admin?start=5", "", ""); string(b) != "[]" {
		t.Fatalf("an empty page is %q, want []", b)
	}

	_, b = w.do("GET", "/ekyc/admin/u/status", "", "")
	st := object(t, b)
	conform(t, "UserStatusResponse", st)
	if _, ok := st["started"]; !ok || st["total_sessions"] != 1.0 {
		t.Fatalf("status %v", st)
	}
	if err := srv.Decide("u", sid, "approved", "ok"); err != nil {
		t.Fatal(err)
	}
	_, b = w.do("GET", "/ekyc/admin/u/status", "", "")
	st = object(t, b)
	conform(t, "UserStatusResponse", st)
	if st["total_sessions"] != 0.0 || st["verification"].(map[string]any)["status"] != "approved" {
		t.Fatalf("after the decision %v", st)
	}

	// A user with no data: {timestamp, total_sessions: 0} and nothing else.
	_, b = w.do("GET", "/ekyc/admin/nobody/status", "", "")
	if st := object(t, b); len(st) != 2 || st["total_sessions"] != 0.0 {
		t.Fatalf("status of nobody %q", b)
	}

	// Error bodies, exactly.
	exact := []struct {
		method, path, ct, body string
		status                 int
		want                   string
	}{
		{"GET", "/ekyc/admin/nobody/sessions", "", "", 404, `{"status":404,"error":{"reason":"No sessions available for the user id."}}`},
		{"POST", "/ekyc/admin/kid/sessions", "application/json", `{}`, 400, `{"status":400,"error":{"reason":"Person can not be verified is age is less than 14."}}`},
	}
	for _, e := range exact {
		resp, b := w.do(e.method, e.path, e.ct, e.body)
		if resp.StatusCode != e.status || string(b) != e.want {
			t.Errorf("%s %s: %d %s, want %d %s", e.method, e.path, resp.StatusCode, b, e.status, e.want)
		}
	}
	// Catch-all 500s and Spring defaults carry error, path and timestamp.
	for _, e := range []struct {
		method, path, ct, body string
		status                 int
		errName                string
	}{
		{"POST", "/ekyc/admin/u/sessions", "text/plain", `{}`, 500, "HttpMediaTypeNotSupportedException"},
		{"POST", "/ekyc/admin/u/sessions", "application/json", ``, 500, "HttpMessageNotReadableException"},
		{"POST", "/ekyc/admin/u/sessions", "application/json", `{"callback":1}`, 500, "HttpMessageNotReadableException"},
		{"POST", "/ekyc/admin/ghost/sessions", "application/json", `{}`, 500, "ApiException"},
		{"GET", "/ekyc/admin?limit=x", "", "", 500, "MethodArgumentTypeMismatchException"},
		{"GET", "/ekyc/admin?start=-1", "", "", 500, "ReqlQueryLogicError"},
		{"GET", "/ekyc/nothing", "", "", 404, "Not Found"},
		{"DELETE", "/ekyc/admin/u/sessions", "", "", 405, "Method Not Allowed"},
	} {
		resp, b := w.do(e.method, e.path, e.ct, e.body)
		v := object(t, b)
		if resp.StatusCode != e.status || v["error"] != e.errName || v["path"] == nil || v["timestamp"] == nil {
			t.Errorf("%s %s %s: %d %s", e.method, e.path, e.body, resp.StatusCode, b)
		}
	}
	if srv.SessionCount("u") != 0 || srv.Sessions("kid") != nil {
		t.Fatal("a refused request made a session")
	}
}

func TestWirePermissionAndTokenRefusals(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("u"))
	w := wire{t, srv, srv.Token(ekycadmintest.PermissionList)}
	resp, b := w.do("POST", "/ekyc/admin/u/sessions", "application/json", `{}`)
	if resp.StatusCode != 401 || string(b) != `{"missing_permissions":["ekyc.session.create"]}` {
		t.Fatalf("missing permission: %d %s", resp.StatusCode, b)
	}
	conform(t, "MissingPermissionsResponse", object(t, b))

	for _, tok := range []string{"", "not-a-token"} {
		w.tok = tok
		resp, b := w.do("GET", "/ekyc/admin", "", "")
		wantChallenge := `Bearer error="invalid_token"`
		if tok == "" {
			wantChallenge = "Bearer"
		}
		if resp.StatusCode != 401 || len(b) != 0 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), wantChallenge) {
			t.Errorf("token %q: %d %q %q", tok, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
		}
	}
}

func TestWireTokenEndpoint(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	id, secret := srv.Credentials(ekycadmintest.PermissionGet)
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	tests := []struct {
		name, method, auth, ct, body string
		status                       int
		code                         string
	}{
		{"ok", "POST", basic(id, secret), "application/x-www-form-urlencoded", "grant_type=client_credentials&scope=openid", 200, ""},
		{"ok without scope", "POST", basic(id, secret), "application/x-www-form-urlencoded", "grant_type=client_credentials", 200, ""},
		{"wrong secret", "POST", basic(id, "x"), "application/x-www-form-urlencoded", "grant_type=client_credentials", 401, "invalid_client"},
		{"unknown client", "POST", basic("nobody", secret), "application/x-www-form-urlencoded", "grant_type=client_credentials", 401, "invalid_client"},
		{"no client auth", "POST", "", "application/x-www-form-urlencoded", "grant_type=client_credentials", 401, "invalid_client"},
		{"secret in the form", "POST", "", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret, 401, "invalid_client"},
		{"two methods", "POST", basic(id, secret), "application/x-www-form-urlencoded", "grant_type=client_credentials&client_secret=" + secret, 400, "invalid_request"},
		{"no grant", "POST", basic(id, secret), "application/x-www-form-urlencoded", "", 400, "invalid_request"},
		{"refresh grant", "POST", basic(id, secret), "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=x", 400, "unauthorized_client"},
		{"unknown grant", "POST", basic(id, secret), "application/x-www-form-urlencoded", "grant_type=magic", 400, "unsupported_grant_type"},
		{"permission as scope", "POST", basic(id, secret), "application/x-www-form-urlencoded", "grant_type=client_credentials&scope=ekyc.session.get", 400, "invalid_scope"},
		{"JSON body", "POST", basic(id, secret), "application/json", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"GET", "GET", basic(id, secret), "", "", 405, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, srv.TokenURL(), strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			v := object(t, b)
			if resp.StatusCode != tt.status || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
			}
			if tt.code != "" {
				if v["error"] != tt.code || v["error_description"] == nil || len(v) != 2 {
					t.Fatalf("body %s, want error %q", b, tt.code)
				}
				return
			}
			if v["token_type"] != "bearer" || v["expires_in"] != 3600.0 || v["access_token"] == nil || v["refresh_token"] != nil {
				t.Fatalf("token reply %v", v)
			}
			if strings.Contains(string(b), "ekyc.session") {
				t.Fatal("permissions leak into the token reply as scopes")
			}
		})
	}
}

func TestWireFaultsThroughAliases(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.InjectFault("", ekycadmintest.PathUsers, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "3", Times: 2})
	if srv.PendingFaults() != 2 {
		t.Fatal("pending")
	}
	w := wire{t, srv, ""}
	resp, _ := w.do("GET", "/ekyc/admin/x/status", "", "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("%d", resp.StatusCode)
	}
	srv.ClearFaults()
	resp, _ = w.do("GET", "/ekyc/admin/x/status", "", "")
	if resp.StatusCode != 401 {
		t.Fatalf("after ClearFaults: %d", resp.StatusCode)
	}
	r := srv.Requests()
	if len(r) != 2 || r[0].Fault != kyctest.FaultStatus || r[1].Fault != kyctest.FaultNone || r[1].Status != 401 {
		t.Fatalf("log %v", r)
	}
}

func TestHostedPage(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("u"))
	s, err := srv.Client().CreateSession(ctx(t), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, srv.BaseURL()+"/v/") {
		t.Fatalf("session URL %q is not on the fake", s.URL)
	}
	resp, err := http.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), s.ID) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	resp, err = http.Get(srv.BaseURL() + "/v/unknown")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown session page: %d", resp.StatusCode)
	}
}
