package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
)

const base = "https://api.example.test"

func newMock(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, err := New(append([]Option{WithBaseURL(base), WithHTTPClient(&http.Client{Transport: mt})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

type thing struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name string
		opts []Option
		ok   bool
	}{
		{"https", []Option{WithBaseURL("https://x.test/v2/")}, true},
		{"no base", nil, false},
		{"plain http remote", []Option{WithBaseURL("http://x.test")}, false},
		{"plain http loopback", []Option{WithBaseURL("http://127.0.0.1:8080")}, true},
		{"plain http localhost", []Option{WithBaseURL("http://localhost:1")}, true},
		{"plain http ipv6 loopback", []Option{WithBaseURL("http://[::1]:1")}, true},
		{"insecure allowed", []Option{WithBaseURL("http://x.test"), WithInsecureHTTP()}, true},
		{"relative", []Option{WithBaseURL("/v2")}, false},
		{"ftp", []Option{WithBaseURL("ftp://x.test")}, false},
		{"query", []Option{WithBaseURL("https://x.test/?a=b")}, false},
		{"userinfo", []Option{WithBaseURL("https://u:p@x.test/")}, false},
		{"nil http client", []Option{WithBaseURL(base), WithHTTPClient(nil)}, false},
		{"nil token source", []Option{WithBaseURL(base), WithTokenSource(nil)}, false},
		{"zero timeout", []Option{WithBaseURL(base), WithTimeout(0)}, false},
		{"negative retries", []Option{WithBaseURL(base), WithRetryPolicy(RetryPolicy{MaxRetries: -1})}, false},
		{"retries without wait", []Option{WithBaseURL(base), WithRetryPolicy(RetryPolicy{MaxRetries: 2})}, false},
		{"no retries", []Option{WithBaseURL(base), WithRetryPolicy(NoRetries)}, true},
		{"zero max body", []Option{WithBaseURL(base), WithMaxResponseBytes(0)}, false},
		{"header injection", []Option{WithBaseURL(base), WithHeader("X-A", "a\r\nb")}, false},
		{"ua injection", []Option{WithBaseURL(base), WithUserAgent("a\nb")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts...)
			if (err == nil) != tc.ok {
				t.Fatalf("New() err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestJoinPath(t *testing.T) {
	cases := []struct {
		in   []string
		want string
		err  bool
	}{
		{[]string{"ekyc", "admin", "a/b", "sessions"}, "/ekyc/admin/a%2Fb/sessions", false},
		{[]string{"ekyc", "admin", "..", "sessions"}, "/ekyc/admin/%2E%2E/sessions", false},
		{[]string{"ekyc", "admin", ".", "x"}, "/ekyc/admin/%2E/x", false},
		{[]string{"u", "zoë ü"}, "/u/zo%C3%AB%20%C3%BC", false},
		{[]string{"u", "a?b#c"}, "/u/a%3Fb%23c", false},
		{[]string{"u", ""}, "", true},
	}
	for _, tc := range cases {
		got, err := JoinPath(tc.in...)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("JoinPath(%q) = %q, %v; want %q, err=%v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("JoinPath error %v does not match ErrInvalidArgument", err)
		}
	}
}

func TestDoSendsEscapedPathQueryHeadersAndBody(t *testing.T) {
	c, mt := newMock(t, WithHeader("X-API-Key", "k"), WithUserAgent("app/1"))
	var got *http.Request
	var gotBody []byte
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		return httpmock.NewStringResponse(201, `{"id":"1","name":"n"}`), nil
	})
	p, _ := JoinPath("users", "a/b", "..")
	type q struct {
		Start int    `url:"start"`
		Limit int    `url:"limit,omitempty"`
		Name  string `url:"name,omitempty"`
	}
	var out thing
	resp, err := c.Do(context.Background(), &Request{Method: "POST", Path: p, Query: q{Start: 0, Limit: 10}, Body: map[string]string{"callback": "https://cb.test/x?y=1"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || resp.Attempts != 1 || out.ID != "1" {
		t.Fatalf("resp=%+v out=%+v", resp, out)
	}
	if got.URL.EscapedPath() != "/users/a%2Fb/%2E%2E" {
		t.Errorf("path = %q", got.URL.EscapedPath())
	}
	if got.URL.RawQuery != "limit=10&start=0" {
		t.Errorf("query = %q", got.URL.RawQuery)
	}
	if ua := got.Header.Get("User-Agent"); ua != UserAgent+" app/1" || !strings.HasPrefix(ua, "kyc-go/") {
		t.Errorf("UA = %q", ua)
	}
	if got.Header.Get("X-API-Key") != "k" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", got.Header)
	}
	if string(gotBody) != `{"callback":"https://cb.test/x?y=1"}` {
		t.Errorf("body = %s", gotBody)
	}
}

func TestBasePathKept(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c, err := New(WithBaseURL("https://x.test/api/v1/"), WithHTTPClient(&http.Client{Transport: mt}))
	if err != nil {
		t.Fatal(err)
	}
	mt.RegisterResponder("GET", "https://x.test/api/v1/me", httpmock.NewStringResponder(200, `{}`))
	if _, err := c.Do(context.Background(), &Request{Path: "/me"}, &struct{}{}); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeFailures(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		ctype  string
		target error
	}{
		{"truncated", 200, `{"id":"1","na`, "application/json", kyc.ErrDecode},
		{"empty", 200, ``, "application/json", kyc.ErrDecode},
		{"html", 200, `<html><body>Bad gateway</body></html>`, "text/html", kyc.ErrDecode},
		{"trailing garbage", 200, `{"id":"1"} {"id":"2"}`, "application/json", kyc.ErrDecode},
		{"wrong type", 200, `{"id":5}`, "application/json", kyc.ErrDecode},
		{"too large", 200, `{"id":"` + strings.Repeat("x", 200) + `"}`, "application/json", kyc.ErrResponseTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMock(t, WithMaxResponseBytes(100))
			mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(tc.status, tc.body)
				r.Header.Set("Content-Type", tc.ctype)
				return r, nil
			})
			var out *thing
			resp, err := c.Do(context.Background(), &Request{Path: "/x"}, &out)
			if !errors.Is(err, tc.target) || resp != nil {
				t.Fatalf("err = %v resp = %v, want %v", err, resp, tc.target)
			}
			if strings.Contains(err.Error(), "Bad gateway") || strings.Contains(err.Error(), "xxxx") {
				t.Errorf("error echoes body: %v", err)
			}
		})
	}
}

func TestDecodeExactlyAtCapAndWhitespace(t *testing.T) {
	body := `{"id":"1"}` + "\n  \n"
	c, mt := newMock(t, WithMaxResponseBytes(int64(len(body))))
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, body))
	var out thing
	if _, err := c.Do(context.Background(), &Request{Path: "/x"}, &out); err != nil || out.ID != "1" {
		t.Fatalf("err=%v out=%+v", err, out)
	}
}

func TestNoContent(t *testing.T) {
	c, mt := newMock(t)
	mt.RegisterNoResponder(httpmock.NewStringResponder(204, ""))
	var out thing
	if _, err := c.Do(context.Background(), &Request{Method: "DELETE", Path: "/x"}, &out); err != nil {
		t.Fatal(err)
	}
}

func TestAPIErrorMapping(t *testing.T) {
	cases := []struct {
		status int
		target error
	}{
		{400, kyc.ErrBadRequest}, {422, kyc.ErrBadRequest}, {401, kyc.ErrUnauthorized}, {403, kyc.ErrForbidden},
		{404, kyc.ErrNotFound}, {409, kyc.ErrConflict}, {429, kyc.ErrRateLimited}, {500, kyc.ErrServer}, {501, kyc.ErrServer},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			c, mt := newMock(t, WithRetryPolicy(NoRetries))
			mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(tc.status, `{"secret-ish":"body"}`)
				r.Header.Set("X-Request-Id", "req-1")
				return r, nil
			})
			_, err := c.Do(context.Background(), &Request{Path: "/x", Query: url.Values{"email": {"a@b.test"}}}, nil)
			var apiErr *kyc.APIError
			if !errors.As(err, &apiErr) || !errors.Is(err, tc.target) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.RequestID != "req-1" || string(apiErr.Body) != `{"secret-ish":"body"}` || apiErr.Path != "/x" {
				t.Errorf("apiErr = %+v", apiErr)
			}
			for _, leak := range []string{"secret-ish", "a@b.test", "email"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q leaks %q", err, leak)
				}
			}
			for _, other := range []error{kyc.ErrBadRequest, kyc.ErrUnauthorized, kyc.ErrForbidden, kyc.ErrNotFound, kyc.ErrConflict, kyc.ErrRateLimited, kyc.ErrServer} {
				if other != tc.target && errors.Is(err, other) && !(other == kyc.ErrServer && tc.status >= 500) {
					t.Errorf("status %d also matches %v", tc.status, other)
				}
			}
		})
	}
}

func TestErrorDecoderHook(t *testing.T) {
	c, mt := newMock(t, WithRetryPolicy(NoRetries), WithErrorDecoder(func(e *kyc.APIError, body []byte) error {
		var v struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &v)
		e.Code = v.Error
		if v.Error == "AccessDenied" {
			e.Kinds = append(e.Kinds, kyc.ErrForbidden)
		}
		return e
	}))
	mt.RegisterNoResponder(httpmock.NewStringResponder(500, `{"error":"AccessDenied"}`))
	_, err := c.Do(context.Background(), &Request{Path: "/x", Permission: "ekyc.session.list"}, nil)
	var apiErr *kyc.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "AccessDenied" || !errors.Is(err, kyc.ErrForbidden) || !errors.Is(err, kyc.ErrServer) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "ekyc.session.list") {
		t.Errorf("error should name the needed permission: %v", err)
	}
}

func TestRetryPolicy(t *testing.T) {
	fast := RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: time.Second}
	cases := []struct {
		name     string
		method   string
		statuses []int
		want     int // requests seen
		wantErr  error
	}{
		{"GET 503 then 200", "GET", []int{503, 200}, 2, nil},
		{"GET 502 504 200", "GET", []int{502, 504, 200}, 3, nil},
		{"GET 408 then 200", "GET", []int{408, 200}, 2, nil},
		{"GET 429 then 200", "GET", []int{429, 200}, 2, nil},
		{"HEAD 503 then 200", "HEAD", []int{503, 200}, 2, nil},
		{"GET 503 exhausted", "GET", []int{503, 503, 503, 503}, 3, kyc.ErrServer},
		{"GET 500 not retried", "GET", []int{500, 200}, 1, kyc.ErrServer},
		{"GET 501 not retried", "GET", []int{501, 200}, 1, kyc.ErrServer},
		{"GET 401 never retried", "GET", []int{401, 200}, 1, kyc.ErrUnauthorized},
		{"GET 404 not retried", "GET", []int{404, 200}, 1, kyc.ErrNotFound},
		{"POST 503 not retried", "POST", []int{503, 200}, 1, kyc.ErrServer},
		{"POST 429 not retried", "POST", []int{429, 200}, 1, kyc.ErrRateLimited},
		{"PUT 503 not retried", "PUT", []int{503, 200}, 1, kyc.ErrServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMock(t, WithRetryPolicy(fast))
			var n atomic.Int32
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				i := int(n.Add(1)) - 1
				if r.Body != nil {
					b, _ := io.ReadAll(r.Body)
					if r.Method == "POST" && string(b) != `{"a":1}` {
						t.Errorf("attempt %d body = %q", i, b)
					}
				}
				return httpmock.NewStringResponse(tc.statuses[i], fmt.Sprintf(`{"attempt":%d}`, i)), nil
			})
			var body any
			if tc.method == "POST" || tc.method == "PUT" {
				body = map[string]int{"a": 1}
			}
			_, err := c.Do(context.Background(), &Request{Method: tc.method, Path: "/x", Body: body}, nil)
			if int(n.Load()) != tc.want {
				t.Errorf("requests = %d, want %d", n.Load(), tc.want)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var apiErr *kyc.APIError
			if !errors.Is(err, tc.wantErr) || !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if apiErr.Attempts != tc.want {
				t.Errorf("Attempts = %d, want %d", apiErr.Attempts, tc.want)
			}
			// The last response's body is kept when retries run out.
			if want := fmt.Sprintf(`{"attempt":%d}`, tc.want-1); string(apiErr.Body) != want {
				t.Errorf("Body = %s, want %s", apiErr.Body, want)
			}
		})
	}
}

// dialFailer fails the first n round trips with a dial error, as when the
// server cannot be reached: the request never left the machine.
type dialFailer struct {
	n    atomic.Int32
	fail int32
	next http.RoundTripper
}

func (d *dialFailer) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.n.Add(1) <= d.fail {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestPOSTRetriedOnlyWhenNeverSent(t *testing.T) {
	fast := RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: time.Second}
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(httpmock.NewStringResponder(201, `{"id":"s1"}`))
	df := &dialFailer{fail: 1, next: mt}
	c, err := New(WithBaseURL(base), WithHTTPClient(&http.Client{Transport: df}), WithRetryPolicy(fast))
	if err != nil {
		t.Fatal(err)
	}
	var out thing
	if _, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/s", Body: map[string]int{"a": 1}}, &out); err != nil {
		t.Fatal(err)
	}
	if df.n.Load() != 2 || mt.GetTotalCallCount() != 1 || out.ID != "s1" {
		t.Fatalf("round trips = %d, server saw %d", df.n.Load(), mt.GetTotalCallCount())
	}

	// A reset after the request was written is not retried for POST.
	mt2 := httpmock.NewMockTransport()
	mt2.RegisterNoResponder(httpmock.NewErrorResponder(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}))
	c2, _ := New(WithBaseURL(base), WithHTTPClient(&http.Client{Transport: mt2}), WithRetryPolicy(fast))
	_, err = c2.Do(context.Background(), &Request{Method: "POST", Path: "/s", Body: map[string]int{"a": 1}}, nil)
	var te *kyc.TransportError
	if !errors.As(err, &te) || mt2.GetTotalCallCount() != 1 {
		t.Fatalf("err = %v, calls = %d", err, mt2.GetTotalCallCount())
	}
	// The same reset on GET is retried.
	_, _ = c2.Do(context.Background(), &Request{Method: "GET", Path: "/s"}, nil)
	if mt2.GetTotalCallCount() != 4 {
		t.Fatalf("GET calls = %d, want 3 more", mt2.GetTotalCallCount()-1)
	}
}

func TestRetryAfterBothForms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, form := range []string{"seconds", "date"} {
			c, mt := newMock(t, WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxRetryAfter: time.Minute}))
			var times []time.Time
			mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
				times = append(times, time.Now())
				if len(times) == 1 {
					r := httpmock.NewStringResponse(429, `{}`)
					if form == "seconds" {
						r.Header.Set("Retry-After", "7")
					} else {
						r.Header.Set("Retry-After", time.Now().Add(7*time.Second).UTC().Format(http.TimeFormat))
					}
					return r, nil
				}
				return httpmock.NewStringResponse(200, `{}`), nil
			})
			if _, err := c.Do(context.Background(), &Request{Path: "/x"}, &struct{}{}); err != nil {
				t.Fatal(err)
			}
			if len(times) != 2 {
				t.Fatalf("%s: attempts = %d", form, len(times))
			}
			// HTTP dates have one-second resolution.
			if d := times[1].Sub(times[0]); d < 6*time.Second || d > 7*time.Second {
				t.Errorf("%s: waited %v, want about 7s", form, d)
			}
		}
	})
}

func TestRetryAfterBeyondCapFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMock(t, WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxRetryAfter: 10 * time.Second}))
		mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(503, `{}`)
			r.Header.Set("Retry-After", "3600")
			return r, nil
		})
		start := time.Now()
		_, err := c.Do(context.Background(), &Request{Path: "/x"}, nil)
		var apiErr *kyc.APIError
		if !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v calls = %d", err, mt.GetTotalCallCount())
		}
		if time.Since(start) != 0 {
			t.Errorf("waited %v", time.Since(start))
		}
	})
}

func TestBackoffExponentialWithJitter(t *testing.T) {
	p := DefaultRetryPolicy
	for attempt := range 6 {
		want := min(p.MinWait<<attempt, p.MaxWait)
		for range 50 {
			d := p.backoff(p.MinWait, p.MaxWait, attempt, nil)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMock(t, WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinWait: 10 * time.Second, MaxWait: 10 * time.Second, MaxRetryAfter: time.Minute}))
		mt.RegisterNoResponder(httpmock.NewStringResponder(503, `{}`))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		_, err := c.Do(ctx, &Request{Path: "/x"}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("returned after %v, want 2s", d)
		}
		if mt.GetTotalCallCount() != 1 {
			t.Errorf("calls = %d", mt.GetTotalCallCount())
		}
	})
}

func TestPerAttemptTimeout(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		_, _ = io.WriteString(w, `{"id":"ok"}`)
	}))
	defer srv.Close()
	c, err := New(WithBaseURL(srv.URL), WithTimeout(100*time.Millisecond), WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	var out thing
	if _, err := c.Do(context.Background(), &Request{Path: "/x"}, &out); err != nil || out.ID != "ok" {
		t.Fatalf("err = %v out = %+v", err, out)
	}
	if n.Load() != 2 {
		t.Fatalf("attempts = %d", n.Load())
	}
}

func TestTransportErrorDoesNotLeakQuery(t *testing.T) {
	c, err := New(WithBaseURL("http://127.0.0.1:1"), WithRetryPolicy(NoRetries))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), &Request{Path: "/x", Query: url.Values{"token": {"SENTINEL-TOKEN"}}}, nil)
	var te *kyc.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	if strings.Contains(err.Error(), "SENTINEL-TOKEN") {
		t.Fatalf("error leaks query: %v", err)
	}
}

type countingSource struct {
	n   atomic.Int32
	tok *oauth2.Token
	err error
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	s.n.Add(1)
	return s.tok, s.err
}

func TestBearerOnlyToOwnHost(t *testing.T) {
	ts := &countingSource{tok: &oauth2.Token{AccessToken: "SENTINEL-ACCESS", TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}}
	c, mt := newMock(t, WithTokenSource(ts))
	seen := map[string]string{}
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		seen[r.URL.Host] = r.Header.Get("Authorization")
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	ctx := context.Background()
	if _, err := c.Do(ctx, &Request{Path: "/me"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, &Request{URL: "https://files.example.test/f.png"}, nil); err != nil {
		t.Fatal(err)
	}
	if seen["api.example.test"] != "Bearer SENTINEL-ACCESS" {
		t.Errorf("own host auth = %q", seen["api.example.test"])
	}
	if a, ok := seen["files.example.test"]; !ok || a != "" {
		t.Errorf("foreign host got Authorization %q", a)
	}
	if ts.n.Load() != 1 {
		t.Errorf("token source called %d times; want reuse", ts.n.Load())
	}
}

func TestTokenErrors(t *testing.T) {
	mkRetrieve := func(status int, body string) error {
		var v struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(body), &v)
		return &oauth2.RetrieveError{Response: &http.Response{StatusCode: status}, Body: []byte(body), ErrorCode: v.Error}
	}
	cases := []struct {
		name   string
		err    error
		reauth bool
	}{
		{"invalid_grant", mkRetrieve(400, `{"error":"invalid_grant","error_description":"SENTINEL-REFRESH expired"}`), true},
		{"invalid_client", mkRetrieve(401, `{"error":"invalid_client"}`), false},
		{"token endpoint down", mkRetrieve(503, `<html>down</html>`), false},
		{"network", &url.Error{Op: "Post", URL: "https://auth.test/oauth/token?x=SENTINEL-REFRESH", Err: errors.New("connection refused")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMock(t, WithTokenSource(&countingSource{err: tc.err}))
			mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
			_, err := c.Do(context.Background(), &Request{Path: "/me"}, nil)
			if !errors.Is(err, kyc.ErrToken) {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, kyc.ErrReauthorizationRequired) != tc.reauth {
				t.Errorf("reauth = %v, want %v (%v)", !tc.reauth, tc.reauth, err)
			}
			var re *kyc.ReauthorizationRequiredError
			if errors.As(err, &re) != tc.reauth {
				t.Errorf("errors.As ReauthorizationRequiredError mismatch")
			}
			if strings.Contains(fmt.Sprintf("%v %+v", err, err), "SENTINEL") {
				t.Errorf("token error leaks: %v", err)
			}
			if mt.GetTotalCallCount() != 0 {
				t.Errorf("request sent without a token")
			}
		})
	}
}

func TestLoggingRedacts(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := &countingSource{tok: &oauth2.Token{AccessToken: "SENTINEL-ACCESS", Expiry: time.Now().Add(time.Hour)}}
	c, mt := newMock(t, WithLogger(logger), WithTokenSource(ts), WithHeader("X-API-Key", "SENTINEL-KEY"),
		WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxRetryAfter: time.Second}))
	var n atomic.Int32
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			return httpmock.NewStringResponse(503, `{"email":"SENTINEL@EMAIL"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"email":"SENTINEL@EMAIL"}`), nil
	})
	var out map[string]string
	if _, err := c.Do(context.Background(), &Request{Path: "/users/me", Query: url.Values{"q": {"SENTINEL-QUERY"}}}, &out); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	if strings.Count(logs, `"msg":"kyc: http attempt"`) != 2 || !strings.Contains(logs, `"path":"/users/me"`) || !strings.Contains(logs, `"status":503`) {
		t.Errorf("unexpected logs:\n%s", logs)
	}
	if strings.Contains(logs, "SENTINEL") {
		t.Errorf("logs leak a sentinel:\n%s", logs)
	}
}

func TestNoLoggingByDefault(t *testing.T) {
	// retryablehttp logs to stderr by default; our client must not.
	c, mt := newMock(t)
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
	rt := c.HTTPClient().Transport
	if _, ok := rt.(interface{ CloseIdleConnections() }); ok {
		t.Errorf("retry layer must not expose CloseIdleConnections of the caller's transport")
	}
	if _, err := c.Do(context.Background(), &Request{Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCallerTransportWrappedNotReplaced(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
	hc := &http.Client{Transport: mt, Timeout: 5 * time.Second}
	c, err := New(WithBaseURL(base), WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if hc.Transport != mt {
		t.Fatal("caller's client was modified")
	}
	if _, err := c.Do(context.Background(), &Request{Path: "/x"}, nil); err != nil || mt.GetTotalCallCount() != 1 {
		t.Fatalf("err=%v calls=%d", err, mt.GetTotalCallCount())
	}
	if c.HTTPClient().Timeout != 5*time.Second {
		t.Errorf("caller's timeout not kept")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999", 24 * time.Hour, true},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStreamCapped(t *testing.T) {
	c, mt := newMock(t)
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, strings.Repeat("a", 50)))
	resp, err := c.Stream(context.Background(), &Request{Path: "/f"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, kyc.ErrResponseTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

// Token requests go through NewHTTPClient: a POST that reached the server
// is never sent again, a GET is retried.
func TestNewHTTPClientIsMethodAware(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(httpmock.NewStringResponder(503, `{"error":"temporarily_unavailable"}`))
	hc, err := NewHTTPClient(WithHTTPClient(&http.Client{Transport: mt}), WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxRetryAfter: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := hc.Post("https://auth.example.test/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=refresh_token"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 || mt.GetTotalCallCount() != 1 {
		t.Fatalf("POST: status %d after %d calls, want 503 after 1", res.StatusCode, mt.GetTotalCallCount())
	}
	res, err = hc.Get("https://auth.example.test/.well-known/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if mt.GetTotalCallCount() != 4 {
		t.Fatalf("GET: %d calls in all, want 1+3", mt.GetTotalCallCount())
	}
}

// A context cancelled while a reply is being judged yields only an error,
// never a response and an error together (which net/http would log and leak).
func TestCancelledContextNoResponseAndError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, mt := newMock(t)
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		cancel()
		return httpmock.NewStringResponse(503, `{}`), nil
	})
	_, err := c.Do(ctx, &Request{Path: "/x"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

type seqSource struct {
	n atomic.Int32
}

func (s *seqSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
}

// A token the server revoked is dropped and the call sent once more with
// a fresh token; a static token is not retried.
func TestRevokedTokenRefreshedOnce(t *testing.T) {
	src := &seqSource{}
	c, mt := newMock(t, WithTokenSource(src))
	var seen []string
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.Header.Get("Authorization"))
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			res := httpmock.NewStringResponse(401, ``)
			res.Header.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token was revoked"`)
			return res, nil
		}
		if string(b) != `{"a":1}` {
			t.Errorf("replayed body = %q", b)
		}
		return httpmock.NewStringResponse(201, `{"id":"ok"}`), nil
	})
	var out thing
	if _, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/s", Body: map[string]int{"a": 1}}, &out); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[1] != "Bearer tok-2" || out.ID != "ok" {
		t.Fatalf("seen = %q out = %+v", seen, out)
	}
	// A 401 without an invalid_token challenge (missing permissions) is not retried.
	c3, mt3 := newMock(t, WithTokenSource(&seqSource{}))
	mt3.RegisterNoResponder(httpmock.NewStringResponder(401, `{"missing_permissions":["ekyc.session.list"]}`))
	if _, err := c3.Do(context.Background(), &Request{Path: "/l"}, nil); !errors.Is(err, kyc.ErrUnauthorized) || mt3.GetTotalCallCount() != 1 {
		t.Fatalf("err = %v, calls = %d", err, mt3.GetTotalCallCount())
	}
	// The fresh token is cached for later calls.
	if _, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/s", Body: map[string]int{"a": 1}}, &out); err != nil || src.n.Load() != 2 {
		t.Fatalf("err = %v, token fetches = %d", err, src.n.Load())
	}

	static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "static"})
	c2, mt2 := newMock(t, WithTokenSource(static))
	mt2.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		res := httpmock.NewStringResponse(401, ``)
		res.Header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		return res, nil
	})
	_, err := c2.Do(context.Background(), &Request{Path: "/me", Permission: "p.read"}, nil)
	if !errors.Is(err, kyc.ErrUnauthorized) || mt2.GetTotalCallCount() != 1 {
		t.Fatalf("err = %v, calls = %d", err, mt2.GetTotalCallCount())
	}
	if strings.Contains(err.Error(), "needs permission") {
		t.Errorf("a refused token is not a permission problem: %v", err)
	}
}

func TestTokenErrorNeverQuotesTheReply(t *testing.T) {
	parse := fmt.Errorf("oauth2: cannot parse json: %w", errors.New("invalid character 'S' looking for beginning of value"))
	err := WrapTokenError(parse)
	if !errors.Is(err, kyc.ErrToken) || strings.Contains(err.Error(), "'S'") {
		t.Fatalf("err = %v", err)
	}
	refused := WrapTokenError(&url.Error{Op: "Post", URL: "https://a.test/t", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}})
	if !strings.Contains(refused.Error(), "connection refused") {
		t.Fatalf("transport cause lost: %v", refused)
	}
}

func TestSizeError(t *testing.T) {
	c, mt := newMock(t, WithMaxResponseBytes(10))
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{"id":"0123456789"}`))
	_, err := c.Do(context.Background(), &Request{Path: "/x"}, &thing{})
	var se *kyc.SizeError
	if !errors.As(err, &se) || !errors.Is(err, kyc.ErrResponseTooLarge) || se.Limit != 10 || err.Error() != "kyc: GET /x: response body larger than 10 bytes" {
		t.Fatalf("err = %v", err)
	}
}

func TestAPIErrorEveryVerb(t *testing.T) {
	e := &kyc.APIError{StatusCode: 400, Method: "POST", Path: "/x", Message: "SENTINEL-MSG", Body: []byte("SENTINEL-BODY"), Header: http.Header{"X": {"SENTINEL-HDR"}}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		out := fmt.Sprintf(verb, e)
		if strings.Contains(out, "SENTINEL") || strings.Contains(out, fmt.Sprintf("%x", "SENTINEL")) {
			t.Errorf("%s prints %q", verb, out)
		}
	}
}

func TestTokenRefreshMargin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		src := TokenSourceFunc(func() (*oauth2.Token, error) {
			n.Add(1)
			return &oauth2.Token{AccessToken: fmt.Sprint("t", n.Load()), Expiry: time.Now().Add(45 * time.Second)}, nil
		})
		// A 45s token: three calls share it whatever the margin; 30s later
		// (15s left) a 10s margin still uses it, a one-minute margin
		// (capped at half the lifetime, 22.5s) renews it.
		for _, tc := range []struct {
			margin time.Duration
			want   int32
		}{{10 * time.Second, 1}, {time.Minute, 2}} {
			n.Store(0)
			c, mt := newMock(t, WithTokenSource(src), WithTokenRefreshMargin(tc.margin))
			mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
			for i := range 4 {
				if i == 3 {
					time.Sleep(30 * time.Second)
				}
				if _, err := c.Do(context.Background(), &Request{Path: "/x"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			if n.Load() != tc.want {
				t.Errorf("margin %v: %d token fetches, want %d", tc.margin, n.Load(), tc.want)
			}
		}
	})
	if _, err := New(WithBaseURL(base), WithTokenRefreshMargin(-time.Second)); err == nil {
		t.Error("negative margin accepted")
	}
}

// invalidatingSource caches its token and renews it only when told.
type invalidatingSource struct {
	mu          sync.Mutex
	n           int
	invalidated []string
	refuse      bool
}

func (s *invalidatingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse && s.n > 0 && len(s.invalidated) > 0 {
		return nil, &oauth2.RetrieveError{Response: &http.Response{StatusCode: 400}, ErrorCode: "invalid_grant"}
	}
	if len(s.invalidated) == s.n {
		s.n++
	}
	return &oauth2.Token{AccessToken: fmt.Sprint("t", s.n), Expiry: time.Now().Add(time.Hour)}, nil
}

func (s *invalidatingSource) InvalidateToken(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, access)
}

// A vendor rule blames a bare 401 on the token; the base source is told
// which token was refused; a refused refresh becomes the typed error.
func TestRenewRuleAndInvalidator(t *testing.T) {
	rule := func(h http.Header, body []byte) bool { return strings.Contains(string(body), "expired") }
	src := &invalidatingSource{}
	c, mt := newMock(t, WithTokenSource(src), WithRenewRule(rule))
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Bearer t1" {
			return httpmock.NewStringResponse(401, `{"message":"token expired"}`), nil
		}
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	if _, err := c.Do(context.Background(), &Request{Path: "/me"}, nil); err != nil {
		t.Fatal(err)
	}
	if len(src.invalidated) != 1 || src.invalidated[0] != "t1" || mt.GetTotalCallCount() != 2 {
		t.Fatalf("invalidated %q after %d calls", src.invalidated, mt.GetTotalCallCount())
	}

	// A 401 the rule does not blame keeps its body for the error decoder.
	c2, mt2 := newMock(t, WithTokenSource(&invalidatingSource{}), WithRenewRule(rule))
	mt2.RegisterNoResponder(httpmock.NewStringResponder(401, `{"message":"no access"}`))
	_, err := c2.Do(context.Background(), &Request{Path: "/me"}, nil)
	var apiErr *kyc.APIError
	if !errors.As(err, &apiErr) || string(apiErr.Body) != `{"message":"no access"}` || mt2.GetTotalCallCount() != 1 {
		t.Fatalf("err = %v, calls = %d", err, mt2.GetTotalCallCount())
	}

	refusing := &invalidatingSource{refuse: true}
	c3, mt3 := newMock(t, WithTokenSource(refusing), WithRenewRule(rule))
	mt3.RegisterNoResponder(httpmock.NewStringResponder(401, `{"message":"token expired"}`))
	_, err = c3.Do(context.Background(), &Request{Path: "/me"}, nil)
	if !errors.Is(err, kyc.ErrReauthorizationRequired) || mt3.GetTotalCallCount() != 1 {
		t.Fatalf("err = %v, calls = %d", err, mt3.GetTotalCallCount())
	}
	if _, err := New(WithBaseURL(base), WithRenewRule(nil)); err == nil {
		t.Error("nil rule accepted")
	}
}

// TestPerAttemptTimeoutCoversBody: the per-attempt timeout still runs
// while the body is read, and it is the attempt's timeout, not the
// caller's context, that ends it.
func TestPerAttemptTimeoutCoversBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, `{"id":"`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(WithBaseURL(srv.URL), WithTimeout(150*time.Millisecond), WithRetryPolicy(NoRetries))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var out thing
	_, err = c.Do(context.Background(), &Request{Path: "/x"}, &out)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("returned after %v", d)
	}
	var de *kyc.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	t.Logf("body timeout: %v", err)
}
