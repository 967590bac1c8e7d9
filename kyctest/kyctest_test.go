package kyctest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/kyctest"
)

func TestFaultAndRequestStrings(t *testing.T) {
	t.Parallel()
	for k, want := range map[kyctest.FaultKind]string{kyctest.FaultNone: "none", kyctest.FaultStatus: "status", kyctest.FaultTruncate: "truncate", 42: "FaultKind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
	if got := (kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2}).String(); got != "status status=503 times=2" {
		t.Errorf("Fault.String() = %q", got)
	}
	r := kyctest.Request{Method: http.MethodGet, Path: "/x", Status: 200, Header: http.Header{"Authorization": {"[redacted]"}}, Body: []byte("SENTINEL"), Fault: kyctest.FaultHang}
	if got := r.String(); got != "GET /x -> 200 (hang)" || strings.Contains(got, "SENTINEL") {
		t.Errorf("Request.String() = %q", got)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := kyctest.NewClock(start)
	c.Advance(time.Hour)
	if !c.Now().Equal(start.Add(time.Hour)) {
		t.Fatalf("Now() = %v after Advance", c.Now())
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now() = %v after Set", c.Now())
	}
}
