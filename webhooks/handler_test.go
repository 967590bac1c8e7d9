package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

const hookSecret = "hook-secret-token"

func signedRequest(method, body, secret string) *http.Request {
	req := httptest.NewRequest(method, "/webhooks/fractal", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(body), secret))
	}
	return req
}

// recorder counts calls of the handler's function.
type recorder struct {
	calls  atomic.Int32
	mu     sync.Mutex
	events []*webhooks.Event
	err    error
}

func (r *recorder) fn(_ context.Context, ev *webhooks.Event) error {
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.err
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerStatusCodes(t *testing.T) {
	v := mustVerifier(t, webhooks.WithSecret(webhooks.EventVerificationApproved, hookSecret))
	big := `{"type":"verification_approved","data":{"level":"` + strings.Repeat("b", 2048) + `"}}`
	invalidJSON := `{"type":"verification_approved","data":[1]}`
	tests := []struct {
		name     string
		req      func() *http.Request
		status   int
		body     string
		fnCalled bool
	}{
		{"GET", func() *http.Request { return signedRequest(http.MethodGet, docApproved, hookSecret) }, 405, `{"error":"method_not_allowed"}`, false},
		{"PUT", func() *http.Request { return signedRequest(http.MethodPut, docApproved, hookSecret) }, 405, `{"error":"method_not_allowed"}`, false},
		{"too large", func() *http.Request { return signedRequest(http.MethodPost, big, hookSecret) }, 413, `{"error":"payload_too_large"}`, false},
		{"too large, unknown length", func() *http.Request {
			r := signedRequest(http.MethodPost, big, hookSecret)
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(big)))
			r.ContentLength = -1
			return r
		}, 413, `{"error":"payload_too_large"}`, false},
		{"missing signature", func() *http.Request { return signedRequest(http.MethodPost, docApproved, "") }, 401, `{"error":"invalid_signature"}`, false},
		{"wrong secret", func() *http.Request { return signedRequest(http.MethodPost, docApproved, "wrong") }, 401, `{"error":"invalid_signature"}`, false},
		{"type without secret", func() *http.Request { return signedRequest(http.MethodPost, docEmail, hookSecret) }, 401, `{"error":"invalid_signature"}`, false},
		{"tampered body", func() *http.Request {
			r := signedRequest(http.MethodPost, docApproved, hookSecret)
			tampered := strings.Replace(docApproved, "basic", "plus", 1)
			r.Body = io.NopCloser(strings.NewReader(tampered))
			r.ContentLength = int64(len(tampered))
			return r
		}, 401, `{"error":"invalid_signature"}`, false},
		{"malformed signature", func() *http.Request {
			r := signedRequest(http.MethodPost, docApproved, "")
			r.Header.Set(webhooks.SignatureHeader, "sha1=not-hex")
			return r
		}, 400, `{"error":"malformed_signature"}`, false},
		{"two signatures", func() *http.Request {
			r := signedRequest(http.MethodPost, docApproved, hookSecret)
			r.Header.Add(webhooks.SignatureHeader, webhooks.Sign([]byte(docApproved), hookSecret))
			return r
		}, 400, `{"error":"malformed_signature"}`, false},
		{"signed invalid JSON", func() *http.Request { return signedRequest(http.MethodPost, invalidJSON, hookSecret) }, 400, `{"error":"invalid_payload"}`, false},
		{"read error", func() *http.Request {
			r := signedRequest(http.MethodPost, docApproved, hookSecret)
			r.Body = io.NopCloser(errReader{})
			return r
		}, 400, `{"error":"bad_request"}`, false},
		{"ok", func() *http.Request { return signedRequest(http.MethodPost, docApproved, hookSecret) }, 200, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			h := webhooks.NewHandler(v, rec.fn, webhooks.WithMaxBodySize(1024))
			req := tt.req()
			sig := req.Header.Get(webhooks.SignatureHeader)
			res := serve(h, req)
			if res.Code != tt.status || res.Body.String() != tt.body {
				t.Errorf("got %d %s, want %d %s", res.Code, res.Body, tt.status, tt.body)
			}
			// Refusals carry a JSON body; success is a bare 200.
			if ct, want := res.Header().Get("Content-Type"), "application/json"; tt.status != 200 && ct != want {
				t.Errorf("Content-Type = %q", ct)
			} else if tt.status == 200 && (ct != "" || len(res.Header()) != 0) {
				t.Errorf("success reply carries headers: %v", res.Header())
			}
			if tt.status == 405 && res.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q", res.Header().Get("Allow"))
			}
			if got := rec.calls.Load() == 1; got != tt.fnCalled {
				t.Errorf("fn called = %v, want %v", got, tt.fnCalled)
			}
			if len(sig) >= 15 && strings.Contains(res.Body.String(), sig[5:15]) {
				t.Errorf("response echoes the signature")
			}
		})
	}
}

func TestHandlerFunctionError(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	rec := recorder{err: errors.New("database down: user 14ec6af0")}
	res := serve(webhooks.NewHandler(v, rec.fn), signedRequest(http.MethodPost, docApproved, hookSecret))
	if res.Code != 500 || res.Body.String() != `{"error":"internal_error"}` {
		t.Errorf("got %d %s", res.Code, res.Body)
	}
}

func TestHandlerPassesEventAndDeadline(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	type ctxKey struct{}
	var got *webhooks.Event
	var deadline time.Duration
	var value any
	h := webhooks.NewHandler(v, func(ctx context.Context, ev *webhooks.Event) error {
		got = ev
		d, ok := ctx.Deadline()
		if !ok {
			return errors.New("no deadline")
		}
		deadline = time.Until(d)
		value = ctx.Value(ctxKey{})
		return nil
	}, webhooks.WithTimeout(2*time.Second))
	req := signedRequest(http.MethodPost, docCredential, hookSecret)
	req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, "from-request"))
	if res := serve(h, req); res.Code != 200 {
		t.Fatalf("status %d", res.Code)
	}
	if got == nil || got.CredentialShared == nil || got.CredentialShared.CredentialID != "IDOS_CREDENTIAL_DATA_ID" {
		t.Errorf("event = %v", got)
	}
	if deadline <= 0 || deadline > 2*time.Second {
		t.Errorf("deadline in %v, want within 2s", deadline)
	}
	if value != "from-request" {
		t.Errorf("request context values lost")
	}

	// Default deadline: 8s.
	h = webhooks.NewHandler(v, func(ctx context.Context, _ *webhooks.Event) error {
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		return nil
	})
	serve(h, signedRequest(http.MethodPost, docApproved, hookSecret))
	if deadline <= 7*time.Second || deadline > webhooks.DefaultHandlerTimeout {
		t.Errorf("default deadline in %v", deadline)
	}

}

func TestHandlerDeadlineExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
		start := time.Now()
		var waited time.Duration
		// A function that overruns its deadline and reports it gets a 500.
		h := webhooks.NewHandler(v, func(ctx context.Context, _ *webhooks.Event) error {
			<-ctx.Done()
			waited = time.Since(start)
			return ctx.Err()
		})
		if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != 500 {
			t.Errorf("timed-out function: status %d", res.Code)
		}
		if waited != webhooks.DefaultHandlerTimeout {
			t.Errorf("deadline after %v, want %v", waited, webhooks.DefaultHandlerTimeout)
		}
	})
}

func TestHandlerDeduplicates(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	var rec recorder
	h := webhooks.NewHandler(v, rec.fn, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(time.Hour, 100)))

	for i := 0; i < 3; i++ {
		if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != 200 {
			t.Fatalf("delivery %d: %d", i, res.Code)
		}
	}
	if n := rec.calls.Load(); n != 1 {
		t.Errorf("fn called %d times for one event delivered 3 times", n)
	}
	// Another level for the same user is another event.
	serve(h, signedRequest(http.MethodPost, strings.Replace(docApproved, "basic", "liveness", 1), hookSecret))
	if n := rec.calls.Load(); n != 2 {
		t.Errorf("fn called %d times, want 2", n)
	}
}

func TestHandlerRetriesFailedEvent(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	rec := recorder{err: errors.New("temporary")}
	h := webhooks.NewHandler(v, rec.fn, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)))

	if res := serve(h, signedRequest(http.MethodPost, docRejected, hookSecret)); res.Code != 500 {
		t.Fatalf("first delivery: %d", res.Code)
	}
	rec.mu.Lock()
	rec.err = nil
	rec.mu.Unlock()
	if res := serve(h, signedRequest(http.MethodPost, docRejected, hookSecret)); res.Code != 200 {
		t.Fatalf("retry: %d", res.Code)
	}
	if res := serve(h, signedRequest(http.MethodPost, docRejected, hookSecret)); res.Code != 200 {
		t.Fatalf("duplicate after success: %d", res.Code)
	}
	if n := rec.calls.Load(); n != 2 {
		t.Errorf("fn called %d times, want 2 (failure, then the retry)", n)
	}
}

func TestHandlerPanicReleasesClaim(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	dd := webhooks.NewMemoryDeduplicator(0, 0)
	var calls atomic.Int32
	h := webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	}, webhooks.WithDeduplicator(dd))
	func() {
		defer func() { _ = recover() }()
		serve(h, signedRequest(http.MethodPost, docApproved, hookSecret))
	}()
	if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != 200 || calls.Load() != 2 {
		t.Errorf("retry after panic: %d, calls %d", res.Code, calls.Load())
	}
}

type failingDedup struct{ claimErr, completeErr error }

func (f failingDedup) Claim(context.Context, string) (bool, error) {
	return f.claimErr == nil, f.claimErr
}
func (f failingDedup) Complete(context.Context, string) error { return f.completeErr }
func (f failingDedup) Release(context.Context, string) error  { return nil }

func TestHandlerDeduplicatorErrors(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	var rec recorder
	h := webhooks.NewHandler(v, rec.fn, webhooks.WithDeduplicator(failingDedup{claimErr: errors.New("redis down")}))
	if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != 500 || rec.calls.Load() != 0 {
		t.Errorf("claim failure: %d, calls %d", res.Code, rec.calls.Load())
	}
	h = webhooks.NewHandler(v, rec.fn, webhooks.WithDeduplicator(failingDedup{completeErr: errors.New("redis down")}))
	if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != 200 || rec.calls.Load() != 1 {
		t.Errorf("complete failure after success: %d, calls %d", res.Code, rec.calls.Load())
	}
}

func TestHandlerConcurrentDuplicates(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	var rec recorder
	h := webhooks.NewHandler(v, rec.fn, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)))
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := docApproved
			if i%2 == 1 {
				body = docContacted
			}
			if res := serve(h, signedRequest(http.MethodPost, body, hookSecret)); res.Code != 200 {
				t.Errorf("status %d", res.Code)
			}
		}()
	}
	wg.Wait()
	if n := rec.calls.Load(); n != 2 {
		t.Errorf("fn called %d times for 2 distinct events, want 2", n)
	}
}

func TestHandlerLogging(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := recorder{}
	h := webhooks.NewHandler(v, rec.fn, webhooks.WithLogger(logger), webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)))
	reqs := []*http.Request{
		signedRequest(http.MethodPost, docEmail, hookSecret),
		signedRequest(http.MethodPost, docEmail, hookSecret),
		signedRequest(http.MethodPost, docEmail, "wrong-secret"),
		signedRequest(http.MethodGet, docEmail, hookSecret),
	}
	var sigs []string
	for _, r := range reqs {
		sigs = append(sigs, r.Header.Get(webhooks.SignatureHeader))
		serve(h, r)
	}
	out := buf.String()
	for _, leak := range append([]string{hookSecret, "john.snow", "fractal.id\""}, sigs...) {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"webhook processed", "webhook duplicate ignored", "webhook refused", `"status":401`, `"status":405`, userID} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestHandlerOverRealServer(t *testing.T) {
	v := mustVerifier(t, webhooks.WithSecret(webhooks.EventVerificationApproved, vec2Secret))
	var rec recorder
	srv := httptest.NewServer(webhooks.NewHandler(v, rec.fn))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(vec2Body))
	req.Header.Set("x-fractal-signature", vec2Sig) // lower-case, as receivers see it
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(body) != 0 || rec.calls.Load() != 1 {
		t.Errorf("got %d %s, calls %d", res.StatusCode, body, rec.calls.Load())
	}

	// An oversized streamed body is cut off at the limit.
	huge := io.MultiReader(strings.NewReader(`{"type":"x","data":"`), strings.NewReader(strings.Repeat("a", 2<<20)))
	req, _ = http.NewRequest(http.MethodPost, srv.URL, huge)
	req.Header.Set(webhooks.SignatureHeader, vec2Sig)
	res, err = srv.Client().Do(req)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("huge body: %d", res.StatusCode)
		}
	}
	if rec.calls.Load() != 1 {
		t.Errorf("huge body reached fn")
	}
	srv.Client().CloseIdleConnections()
}

func TestNewHandlerPanics(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets("s"))
	fn := func(context.Context, *webhooks.Event) error { return nil }
	for name, f := range map[string]func(){
		"nil verifier": func() { webhooks.NewHandler(nil, fn) },
		"nil fn":       func() { webhooks.NewHandler(v, nil) },
		"zero size":    func() { webhooks.NewHandler(v, fn, webhooks.WithMaxBodySize(0)) },
		"zero timeout": func() { webhooks.NewHandler(v, fn, webhooks.WithTimeout(-time.Second)) },
		"zero read":    func() { webhooks.NewHandler(v, fn, webhooks.WithReadTimeout(0)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
