package ekycadmintest

import (
	"strings"
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time {
		v, err := time.Parse(BirthDateLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		birth, now string
		want       int
	}{
		{"2012-02-29", "2026-02-28", 13},
		{"2012-02-29", "2026-03-01", 14},
		{"2012-03-15", "2026-03-14", 13},
		{"2012-03-15", "2026-03-15", 14},
		{"2012-12-31", "2027-01-01", 14},
		{"2030-01-01", "2026-01-01", -4},
	}
	for _, tt := range tests {
		if got := age(d(tt.birth), d(tt.now)); got != tt.want {
			t.Errorf("age(%s, %s) = %d, want %d", tt.birth, tt.now, got, tt.want)
		}
	}
}

func TestUserPrintsIDOnly(t *testing.T) {
	t.Parallel()
	u := ValidUser("user-9")
	for _, s := range []string{u.String(), u.GoString(), u.LogValue().String()} {
		if s == "" || containsAny(s, "Jane", "Doe", "1990") {
			t.Errorf("%q prints personal data", s)
		}
	}
	r := SessionRecord{Key: "k", ID: "i", SessionToken: "tok-secret", URL: "https://x/v/tok-secret", Callback: "https://cb"}
	if containsAny(r.String()+r.GoString(), "tok-secret", "https://") {
		t.Errorf("SessionRecord prints secrets: %s", r)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	bad := []Option{WithClock(nil), WithTokenTTL(0), WithPermissionDenial(7), WithUnknownUserStatus(418)}
	for i, o := range bad {
		var s settings
		if err := o(&s); err == nil {
			t.Errorf("option %d accepted a bad value", i)
		}
	}
}
