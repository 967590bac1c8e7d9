package incode_test

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kycgo/kyc/integrations/incode"
)

var benchPayload = []byte(`{"eventType":"SESSION_SUCCEEDED","interviewId":"66a1b2c3d4e5f60718293a4b","loginHint":"ada@example.com","identityId":"id-1","extra":{"a":[1,2,3]}}`)

func BenchmarkParseWebhook(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := incode.ParseWebhook(benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}

// Raw baseline: encoding/json into a fixed struct.
func BenchmarkParseWebhookRawJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			EventType, InterviewID, LoginHint, IdentityID string
		}
		if err := json.Unmarshal(benchPayload, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHeader(b *testing.B) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("x-incode-secret", "configured-value-0123456789")
	want := incode.NewSecret("configured-value-0123456789")
	b.ReportAllocs()
	for b.Loop() {
		if err := incode.VerifyHeader(r, "x-incode-secret", want); err != nil {
			b.Fatal(err)
		}
	}
}

// Raw baseline: subtle.ConstantTimeCompare on the header value (which,
// unlike VerifyHeader, leaks the length and refuses nothing repeated).
func BenchmarkVerifyHeaderRawSubtle(b *testing.B) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("x-incode-secret", "configured-value-0123456789")
	want := []byte("configured-value-0123456789")
	b.ReportAllocs()
	for b.Loop() {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("x-incode-secret")), want) != 1 {
			b.Fatal("mismatch")
		}
	}
}
