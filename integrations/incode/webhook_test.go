package incode_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
)

func TestParseWebhook(t *testing.T) {
	tests := []struct {
		name      string
		payload   string
		family    incode.Family
		event     string
		interview string
		outcome   incode.Outcome
	}{
		{"onboarding finished", `{"interviewId":"66a1","onboardingStatus":"ONBOARDING_FINISHED","clientId":"c","flowId":"f","externalId":"e"}`, incode.FamilyOnboardingStatus, "ONBOARDING_FINISHED", "66a1", incode.OutcomeFinished},
		{"onboarding step", `{"interviewId":"66a1","onboardingStatus":"ID_VALIDATION_FINISHED"}`, incode.FamilyOnboardingStatus, "ID_VALIDATION_FINISHED", "66a1", incode.OutcomePending},
		{"manual review rejected", `{"interviewId":"x","onboardingStatus":"MANUAL_REVIEW_REJECTED"}`, incode.FamilyOnboardingStatus, "MANUAL_REVIEW_REJECTED", "x", incode.OutcomeFailed},
		{"onboarding unknown status", `{"interviewId":"x","onboardingStatus":"SOMETHING_NEW"}`, incode.FamilyOnboardingStatus, "SOMETHING_NEW", "x", incode.OutcomeUnknown},
		{"session succeeded", `{"eventType":"SESSION_SUCCEEDED","interviewId":"s1","loginHint":"ada@example.com","identityId":"id-1","more":{"a":1}}`, incode.FamilySession, "SESSION_SUCCEEDED", "s1", incode.OutcomeSucceeded},
		{"session review", `{"eventType":"SESSION_PENDING_REVIEW","interviewId":"s1"}`, incode.FamilySession, "SESSION_PENDING_REVIEW", "s1", incode.OutcomeNeedsReview},
		{"session failed", `{"eventType":"SESSION_FAILED","interviewId":"s1"}`, incode.FamilySession, "SESSION_FAILED", "s1", incode.OutcomeFailed},
		{"session unknown event", `{"eventType":"SESSION_PROGRESS","interviewId":"s1"}`, incode.FamilySession, "SESSION_PROGRESS", "s1", incode.OutcomeUnknown},
		{"workforce succeeded", `{"event":"verification.succeeded","verificationTraceId":"v1","correlation_id":"c1"}`, incode.FamilyWorkforce, "verification.succeeded", "", incode.OutcomeSucceeded},
		{"workforce in eventType", `{"eventType":"verification.failed","id":"v1"}`, incode.FamilyWorkforce, "verification.failed", "", incode.OutcomeFailed},
		{"workforce enrolled", `{"type":"identity.enrolled"}`, incode.FamilyWorkforce, "identity.enrolled", "", incode.OutcomeUnknown},
		{"unknown", `{"hello":"world"}`, incode.FamilyUnknown, "", "", incode.OutcomeUnknown},
		{"wrong member types", `{"eventType":"SESSION_STARTED","interviewId":42,"loginHint":{"x":1}}`, incode.FamilySession, "SESSION_STARTED", "42", incode.OutcomePending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := incode.ParseWebhook([]byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if w.Family != tt.family || w.Event() != tt.event || w.InterviewID() != tt.interview || w.Outcome() != tt.outcome {
				t.Errorf("got %s outcome %s", w, w.Outcome())
			}
			if string(w.Raw) != tt.payload {
				t.Errorf("Raw = %s", w.Raw)
			}
			var sb strings.Builder
			slog.New(slog.NewJSONHandler(&sb, nil)).Info("hook", "w", w)
			for _, out := range []string{w.String(), fmt.Sprintf("%+v", w), fmt.Sprintf("%#v", w), sb.String()} {
				if strings.Contains(out, "ada@example.com") {
					t.Errorf("login hint printed: %s", out)
				}
			}
		})
	}
	w, _ := incode.ParseWebhook([]byte(`{"eventType":"SESSION_SUCCEEDED","interviewId":"s1","loginHint":"ada@example.com","identityId":"id-1"}`))
	if w.Session.LoginHint != "ada@example.com" || w.Session.IdentityID != "id-1" {
		t.Errorf("session = %+v", w.Session)
	}
}

func TestParseWebhookErrors(t *testing.T) {
	for _, p := range []string{"", "null", "[]", `"x"`, "{", `{"a":}`} {
		if _, err := incode.ParseWebhook([]byte(p)); !errors.Is(err, incode.ErrMalformedPayload) {
			t.Errorf("%q: err = %v", p, err)
		}
	}
	big := []byte(`{"a":"` + strings.Repeat("x", incode.MaxWebhookSize) + `"}`)
	if _, err := incode.ParseWebhook(big); !errors.Is(err, incode.ErrPayloadTooLarge) {
		t.Errorf("big: err = %v", err)
	}
}

func TestVerifyHeader(t *testing.T) {
	want := incode.NewSecret("hook-SENTINEL")
	tests := []struct {
		name   string
		header []string
		hname  string
		want   incode.Secret
		err    error
	}{
		{"match", []string{"hook-SENTINEL"}, "x-incode-secret", want, nil},
		{"case-insensitive name", []string{"hook-SENTINEL"}, "X-Incode-Secret", want, nil},
		{"mismatch", []string{"hook-SENTINEL2"}, "x-incode-secret", want, incode.ErrHeaderMismatch},
		{"prefix", []string{"hook"}, "x-incode-secret", want, incode.ErrHeaderMismatch},
		{"missing", nil, "x-incode-secret", want, incode.ErrMissingHeader},
		{"repeated", []string{"hook-SENTINEL", "hook-SENTINEL"}, "x-incode-secret", want, incode.ErrHeaderMismatch},
		{"no secret", []string{""}, "x-incode-secret", incode.Secret{}, incode.ErrNoSecret},
		{"no name", []string{"hook-SENTINEL"}, "", want, incode.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hook", nil)
			for _, v := range tt.header {
				r.Header.Add("x-incode-secret", v)
			}
			err := incode.VerifyHeader(r, tt.hname, tt.want)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "SENTINEL") {
				t.Errorf("error leaks: %v", err)
			}
		})
	}
}

func TestWebhookHandler(t *testing.T) {
	var got []*incode.Webhook
	h, err := incode.NewWebhookHandler("x-incode-secret", incode.NewSecret("s3"), func(_ context.Context, w *incode.Webhook) error {
		if w.InterviewID() == "fail" {
			return errors.New("boom")
		}
		got = append(got, w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, secret, body string
		status                     int
	}{
		{"ok", http.MethodPost, "s3", `{"eventType":"SESSION_SUCCEEDED","interviewId":"a"}`, 200},
		{"bad secret", http.MethodPost, "s4", `{"eventType":"SESSION_SUCCEEDED","interviewId":"a"}`, 401},
		{"get", http.MethodGet, "s3", ``, 405},
		{"malformed", http.MethodPost, "s3", `[1]`, 400},
		{"too large", http.MethodPost, "s3", `{"a":"` + strings.Repeat("x", incode.MaxWebhookSize) + `"}`, 413},
		{"fn fails", http.MethodPost, "s3", `{"eventType":"SESSION_FAILED","interviewId":"fail"}`, 500},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/hook", strings.NewReader(tt.body))
		r.Header.Set("x-incode-secret", tt.secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.status)
		}
		if tt.status == 200 {
			b, _ := io.ReadAll(rec.Body)
			if string(b) != `{"success":true}` {
				t.Errorf("%s: body %s", tt.name, b)
			}
		}
	}
	if len(got) != 1 || got[0].Session.EventType != incode.SessionSucceeded {
		t.Errorf("delivered %v", got)
	}
	if _, err := incode.NewWebhookHandler("", incode.NewSecret("x"), func(context.Context, *incode.Webhook) error { return nil }); !errors.Is(err, incode.ErrNoSecret) {
		t.Errorf("no name: %v", err)
	}
}

func TestSessionEventPrintingHidesLoginHint(t *testing.T) {
	const hint = "jane.roe@corp.example"
	w, err := incode.ParseWebhook([]byte(`{"eventType":"SESSION_SUCCEEDED","interviewId":"66a1","loginHint":"` + hint + `","identityId":"id-9"}`))
	if err != nil || w.Session == nil || w.Session.LoginHint != hint {
		t.Fatalf("ParseWebhook = %+v, %v", w, err)
	}
	e := *w.Session
	var logBuf strings.Builder
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("event", "session", e, "ptr", w.Session)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("event", "session", e)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", e, e, e, e), fmt.Sprintf("%v %+v %#v", w.Session, w.Session, w.Session), logBuf.String()} {
		if strings.Contains(out, "jane") || !strings.Contains(out, "66a1") || !strings.Contains(out, "id-9") {
			t.Errorf("output = %s", out)
		}
	}
}

func TestErrorGoStringHidesMessage(t *testing.T) {
	e := &incode.Error{Status: 400, Reason: "Bad Request", Message: "loginHint jane.roe@corp.example is invalid", Path: incode.RequestNewPath,
		APIError: &kyc.APIError{StatusCode: 400, Method: http.MethodPost, Path: incode.RequestNewPath, Message: "jane.roe@corp.example", Body: []byte("jane.roe@corp.example")}}
	out := fmt.Sprintf("%v %+v %#v", e, e, e)
	if strings.Contains(out, "jane") || !strings.Contains(out, "Bad Request") || !strings.Contains(out, incode.RequestNewPath) {
		t.Errorf("output = %s", out)
	}
}

// TestWebhookHandlerSlowBody: a sender with the right header that stalls
// the body gets 408 within WebhookReadTimeout, and fn never runs.
func TestWebhookHandlerSlowBody(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h, err := incode.NewWebhookHandler("x-incode-secret", incode.NewSecret("s3"), func(context.Context, *incode.Webhook) error {
		calls.Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nx-incode-secret: s3\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"interviewId\""); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(incode.WebhookReadTimeout + 10*time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if d := time.Since(start); d < incode.WebhookReadTimeout-100*time.Millisecond || d > incode.WebhookReadTimeout+5*time.Second {
		t.Fatalf("answered after %v, want about %v", d, incode.WebhookReadTimeout)
	}
	if calls.Load() != 0 {
		t.Fatal("fn ran on a partial body")
	}
}
