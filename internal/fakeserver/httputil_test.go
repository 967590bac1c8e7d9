package fakeserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	WriteJSON(w, 201, map[string]int{"a": 1})
	if w.Code != 201 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != `{"a":1}` || w.Header().Get("Content-Length") != "7" {
		t.Fatalf("%d %v %q", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	WriteJSON(w, 200, math.Inf(1))
	if w.Code != 500 {
		t.Fatalf("unencodable value gave %d", w.Code)
	}
}

func TestOAuthErrorAndToken(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	OAuthError(w, 401, "invalid_client", "unknown client")
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 401 || body["error"] != "invalid_client" || body["error_description"] != "unknown client" || len(body) != 2 ||
		w.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("%d %v %v", w.Code, w.Header(), body)
	}
	w = httptest.NewRecorder()
	OAuthError(w, 400, "invalid_grant", "")
	if w.Body.String() != `{"error":"invalid_grant"}` || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("%q", w.Body)
	}
	w = httptest.NewRecorder()
	tr := TokenResponse{AccessToken: "at-secret", TokenType: "bearer", ExpiresIn: 3600, RefreshToken: "rt-secret"}
	WriteToken(w, tr)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"access_token":"at-secret"`) || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
	if s := tr.String(); strings.Contains(s, "secret") {
		t.Fatalf("String() leaks a token: %s", s)
	}
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestParseClientAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		header  string
		form    url.Values
		want    ClientAuth
		wantErr error
	}{
		{"basic, form-urlencoded per RFC 6749", basic(url.QueryEscape("id:1"), url.QueryEscape("pw%Q t")), url.Values{"grant_type": {"client_credentials"}},
			ClientAuth{ID: "id:1", Secret: "pw%Q t", Method: AuthMethodBasic}, nil},
		{"post", "", url.Values{"client_id": {"id"}, "client_secret": {"pwQ"}}, ClientAuth{ID: "id", Secret: "pwQ", Method: AuthMethodPost}, nil},
		{"public client", "", url.Values{"client_id": {"id"}}, ClientAuth{ID: "id", Method: AuthMethodNone}, nil},
		{"basic plus the same client_id in the form", basic("id", "pwQ"), url.Values{"client_id": {"id"}}, ClientAuth{ID: "id", Secret: "pwQ", Method: AuthMethodBasic}, nil},
		{"both methods", basic("id", "pwQ"), url.Values{"client_id": {"id"}, "client_secret": {"pwQ"}}, ClientAuth{}, ErrMultipleClientAuth},
		{"malformed basic", "Basic !!!", nil, ClientAuth{}, ErrBadBasicAuth},
		{"bad escape", basic("%zz", "x"), nil, ClientAuth{}, ErrBadBasicAuth},
		{"bearer is not client auth", "Bearer abc", nil, ClientAuth{}, nil},
		{"nothing", "", nil, ClientAuth{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(tt.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			got, err := ParseClientAuth(r)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("got %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
			if strings.Contains(got.String(), "pwQ") && got.Secret != "" {
				t.Fatalf("String() leaks the secret: %s", got)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer ": "", "": ""} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		got, ok := BearerToken(r)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v", h, got, ok)
		}
	}
}
