package fractalidtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The fake parses what a client under test sends: it must answer every
// request with a well-formed reply and never panic.

func FuzzTokenRequest(f *testing.F) {
	f.Add("grant_type=client_credentials&client_id=ID&client_secret=SECRET&scope=client.stats%3Aread", "application/x-www-form-urlencoded", "")
	f.Add(`{"grant_type":"authorization_code","code":"c","redirect_uri":"http://127.0.0.1/callback","client_id":"ID","client_secret":"SECRET"}`, "application/json", "")
	f.Add("grant_type=refresh_token&refresh_token=x", "application/x-www-form-urlencoded", "Basic SUQ6U0VDUkVU")
	f.Add("grant_type=a&grant_type=b", "", "grant_type=password")
	f.Add("%zz", "application/json; charset=utf-8", "Basic !!")
	srv := NewServer(f)
	app := srv.DefaultClient()
	h := srv.routes()
	f.Fuzz(func(t *testing.T, body, contentType, header string) {
		body = strings.NewReplacer("ID", app.ID, "SECRET", app.Secret).Replace(body)
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if strings.HasPrefix(header, "Basic ") {
			req.Header.Set("Authorization", header)
		} else if q, err := url.ParseQuery(header); err == nil {
			req.URL.RawQuery = q.Encode()
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("status %d, body not JSON: %q", rec.Code, rec.Body.Bytes())
		}
		switch rec.Code {
		case http.StatusOK:
			if m["access_token"] == nil || m["created_at"] == nil {
				t.Fatalf("200 without a token: %v", m)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
			if _, ok := m["error"].(string); !ok {
				t.Fatalf("%d without an error code: %v", rec.Code, m)
			}
		default:
			t.Fatalf("unexpected status %d", rec.Code)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte(app.Secret)) {
			t.Fatal("reply echoes the client secret")
		}
	})
}

func FuzzAuthorize(f *testing.F) {
	f.Add("client_id=ID&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&response_type=code&scope=uid%3Aread&state=s", "")
	f.Add("client_id=ID&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback%3Fx%3D1&response_type=token&state=%3Cb%3E", "decision=approve")
	f.Add("client_id=ID&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&response_type=code&scope=client.stats%3Aread", "decision=deny&user_id=nobody")
	f.Add("%", "%")
	srv := NewServer(f)
	srv.AddUser(User{ID: "u1"})
	app := srv.DefaultClient()
	h := srv.routes()
	f.Fuzz(func(t *testing.T, query, form string) {
		query = strings.ReplaceAll(query, "ID", url.QueryEscape(app.ID))
		var req *http.Request
		if form == "" {
			req = httptest.NewRequest(http.MethodGet, "/authorize", nil)
		} else {
			q, err := url.ParseQuery(query)
			if err != nil {
				return
			}
			extra, err := url.ParseQuery(form)
			if err != nil {
				return
			}
			for k, v := range extra {
				q[k] = v
			}
			req = httptest.NewRequest(http.MethodPost, "/authorize", strings.NewReader(q.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest:
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("%d without HTML", rec.Code)
			}
		case http.StatusFound:
			loc, err := url.Parse(rec.Header().Get("Location"))
			if err != nil || loc.Host != "127.0.0.1" || loc.Path != "/callback" {
				t.Fatalf("redirect to %q", rec.Header().Get("Location"))
			}
			q := loc.Query()
			if (q.Get("code") == "") == (q.Get("error") == "") {
				t.Fatalf("redirect with neither or both code and error: %q", loc)
			}
		default:
			t.Fatalf("unexpected status %d", rec.Code)
		}
	})
}
