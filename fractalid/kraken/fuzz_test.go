package kraken_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/kraken"
)

func FuzzParseRedirectQuery(f *testing.F) {
	for _, s := range []string{"oneTimeToken=" + docToken, "oneTimeToken=a&state=s", "state=s", "oneTimeToken=%zz", "oneTimeToken=a&oneTimeToken=b", ""} {
		f.Add(s, "s")
	}
	f.Fuzz(func(t *testing.T, query, want string) {
		r, err := kraken.ParseRedirectQuery(query, want)
		if err != nil {
			if r != nil {
				t.Fatal("a result with an error")
			}
			if !errors.Is(err, kraken.ErrMissingOneTimeToken) && !errors.Is(err, kraken.ErrStateMismatch) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if r.OneTimeToken == "" || (r.StateChecked && r.State != want) {
			t.Fatalf("accepted %+v", *r)
		}
		if len(r.OneTimeToken) > 3 && strings.Contains(r.String(), r.OneTimeToken) {
			t.Fatal("String shows the token")
		}
	})
}

func FuzzParseMessageData(f *testing.F) {
	for _, s := range []string{
		`{"oneTimeToken":"` + docToken + `","state":"s"}`,
		`{"response":"rejected","error":"x"}`,
		`{"open":"https://a.example","target":"_blank","features":""}`,
		`"{\"oneTimeToken\":\"t\"}"`,
		`{"error":null,"oneTimeToken":"t"}`,
		`[]`, `null`, `{}`,
	} {
		f.Add([]byte(s), "s")
	}
	f.Fuzz(func(t *testing.T, data []byte, want string) {
		m, err := kraken.ParseMessageData(data, want)
		if err != nil {
			if m != nil {
				t.Fatal("a result with an error")
			}
			if !errors.Is(err, kraken.ErrUnknownMessage) && !errors.Is(err, kraken.ErrStateMismatch) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		switch m.Kind {
		case kraken.MessageDone:
			if m.OneTimeToken == "" || (m.StateChecked && m.State != want) {
				t.Fatalf("done without token or with a wrong state: %+v", *m)
			}
			if want != "" && m.State != "" && m.State != want {
				t.Fatal("state not compared")
			}
		case kraken.MessageFailed:
			if m.Err() == nil {
				t.Fatal("failed without Err")
			}
		case kraken.MessageOpenWindow:
			if !strings.HasPrefix(m.Open, "http://") && !strings.HasPrefix(m.Open, "https://") &&
				!strings.HasPrefix(strings.ToLower(m.Open), "http") {
				t.Fatalf("window URL %q", m.Open)
			}
		default:
			t.Fatalf("kind %v", m.Kind)
		}
	})
}
