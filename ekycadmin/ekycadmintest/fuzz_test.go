package ekycadmintest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRoute sends arbitrary methods, paths, query strings, content types
// and bodies through the fake's router with a valid token: it must not
// panic, must answer with a status it documents, and every body it sends
// must be JSON (or empty for a 401).
func FuzzRoute(f *testing.F) {
	f.Add("POST", "/ekyc/admin/u/sessions", "", "application/json", `{"callback":"https://x"}`)
	f.Add("GET", "/ekyc/admin", "start=1&limit=2", "", "")
	f.Add("GET", "/ekyc/admin", "limit=99999999999", "", "")
	f.Add("GET", "/ekyc/admin/u%2Fv/status", "", "", "")
	f.Add("POST", "/ekyc/admin/u/sessions", "", "application/json", `{"callback":1}`)
	f.Add("PUT", "/ekyc/admin/u/status", "", "", "")
	f.Add("POST", "/oauth2/token", "", "application/x-www-form-urlencoded", "grant_type=client_credentials")
	srv := NewServer(f)
	srv.AddUser(ValidUser("u"))
	tok := srv.Token(AllPermissions()...)
	statuses := map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 500: true}
	f.Fuzz(func(t *testing.T, method, path, query, ct, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r, err := http.NewRequest(method, "http://127.0.0.1"+path+"?"+query, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		srv.route(w, r)
		if !statuses[w.Code] {
			t.Fatalf("%s %s: status %d", method, path, w.Code)
		}
		b := w.Body.Bytes()
		if strings.HasPrefix(r.URL.Path, "/v/") {
			return
		}
		if len(b) == 0 && w.Code == 401 {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("%s %s: %d %q is not JSON", method, path, w.Code, b)
		}
	})
}
