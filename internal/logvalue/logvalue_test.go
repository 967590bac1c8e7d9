package logvalue_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/kycgo/kyc/internal/logvalue"
)

// secretful marshals its secret to JSON (as a model does for storage) and
// prints only a summary.
type secretful struct{ id, secret string }

func (s secretful) String() string { return "secretful{" + s.id + "}" }

func (s secretful) MarshalJSON() ([]byte, error) { return []byte(`"` + s.secret + `"`), nil }

type list []secretful

func (l list) LogValue() slog.Value { return logvalue.Slice(l) }

type byKey map[string]secretful

func (m byKey) LogValue() slog.Value { return logvalue.Map(m) }

func logged(v any) string {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", v)
	return buf.String()
}

func TestSliceAndMap(t *testing.T) {
	t.Parallel()
	raw := []secretful{{"a", "S3CRET-1"}, {"b", "S3CRET-2"}}
	// The trap this package exists for: a plain slice leaks under slog JSON.
	if out := logged(raw); !strings.Contains(out, "S3CRET-1") {
		t.Fatalf("the baseline no longer leaks, the helpers may be unneeded: %s", out)
	}
	for name, v := range map[string]any{
		"slice": list(raw),
		"map":   byKey{"k2": raw[1], "k1": raw[0]},
	} {
		out := logged(v)
		if strings.Contains(out, "S3CRET") {
			t.Errorf("%s leaked: %s", name, out)
		}
		if !strings.Contains(out, "secretful{a}") || !strings.Contains(out, "secretful{b}") {
			t.Errorf("%s lost the summaries: %s", name, out)
		}
	}
	if out := logged(byKey{"k2": raw[1], "k1": raw[0]}); strings.Index(out, "k1") > strings.Index(out, "k2") {
		t.Errorf("map keys not sorted: %s", out)
	}
	if out := logged(list(nil)); !strings.Contains(out, `"v":[]`) {
		t.Errorf("an empty list logs %s", out)
	}
}
