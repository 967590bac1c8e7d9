package kraken_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/kraken"
)

const docToken = "MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr-Cskq3Jevso" // the docs' example

func TestParseRedirectQuery(t *testing.T) {
	cases := []struct {
		query, want string
		opts        []kraken.ReturnOption
		err         error
		checked     bool
	}{
		{query: "oneTimeToken=" + docToken, want: "s"},
		{query: "oneTimeToken=" + docToken, want: ""},
		{query: "oneTimeToken=" + docToken + "&state=s", want: "s", checked: true},
		{query: "oneTimeToken=" + docToken + "&state=x", want: "s", err: kraken.ErrStateMismatch},
		{query: "oneTimeToken=" + docToken + "&state=s&state=s", want: "s", err: kraken.ErrStateMismatch},
		{query: "oneTimeToken=" + docToken, want: "s", opts: []kraken.ReturnOption{kraken.RequireState()}, err: kraken.ErrStateMismatch},
		{query: "", want: "s", err: kraken.ErrMissingOneTimeToken},
		{query: "oneTimeToken=", want: "s", err: kraken.ErrMissingOneTimeToken},
		{query: "oneTimeToken=a&oneTimeToken=b", want: "s", err: kraken.ErrMissingOneTimeToken},
		{query: "oneTimeToken=%zz", want: "s", err: kraken.ErrMissingOneTimeToken},
		{query: "oneTimeToken=" + strings.Repeat("a", 513), want: "", err: kraken.ErrMissingOneTimeToken},
	}
	for _, c := range cases {
		r, err := kraken.ParseRedirectQuery(c.query, c.want, c.opts...)
		if c.err != nil {
			if !errors.Is(err, c.err) || r != nil {
				t.Errorf("%q: %v, %v", c.query, r, err)
			}
			if err != nil && strings.Contains(err.Error(), docToken) {
				t.Errorf("%q: error shows the token", c.query)
			}
			continue
		}
		if err != nil || r.OneTimeToken != docToken || r.StateChecked != c.checked {
			t.Errorf("%q: %v, %v", c.query, r, err)
			continue
		}
		for _, s := range []string{r.String(), fmt.Sprintf("%v %+v %#v %s", r, r, r, *r)} {
			if strings.Contains(s, docToken) {
				t.Errorf("Redirect prints its token: %s", s)
			}
		}
	}
}

func TestParseMessageData(t *testing.T) {
	cases := []struct {
		name, data string
		kind       kraken.MessageKind
		err        error
	}{
		{"docs success", `{"oneTimeToken":"` + docToken + `","state":"s"}`, kraken.MessageDone, nil},
		{"success as a JSON string", `"{\"oneTimeToken\":\"` + docToken + `\",\"state\":\"s\"}"`, kraken.MessageDone, nil},
		{"docs failure", `{"response":"rejected","error":"Document expired"}`, kraken.MessageFailed, nil},
		{"error object", `{"error":{"code":42}}`, kraken.MessageFailed, nil},
		{"rejected without error", `{"response":"rejected"}`, kraken.MessageFailed, nil},
		{"failure wins over token", `{"oneTimeToken":"x","error":"e"}`, kraken.MessageFailed, nil},
		{"window", `{"open":"https://provider.example/doc","target":"_blank","features":"width=500"}`, kraken.MessageOpenWindow, nil},
		{"window with a script URL", `{"open":"javascript:alert(1)"}`, 0, kraken.ErrUnknownMessage},
		{"error null is no error", `{"error":null,"oneTimeToken":"t","state":"s"}`, kraken.MessageDone, nil},
		{"wrong state", `{"oneTimeToken":"t","state":"x"}`, 0, kraken.ErrStateMismatch},
		{"unknown", `{"hello":"world"}`, 0, kraken.ErrUnknownMessage},
		{"token not a string", `{"oneTimeToken":5}`, 0, kraken.ErrUnknownMessage},
		{"array", `[1]`, 0, kraken.ErrUnknownMessage},
		{"null", `null`, 0, kraken.ErrUnknownMessage},
		{"trailing", `{"oneTimeToken":"t"} {}`, 0, kraken.ErrUnknownMessage},
		{"huge", `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, 0, kraken.ErrUnknownMessage},
	}
	for _, c := range cases {
		m, err := kraken.ParseMessageData([]byte(c.data), "s")
		if c.err != nil {
			if !errors.Is(err, c.err) || m != nil {
				t.Errorf("%s: %v, %v", c.name, m, err)
			}
			continue
		}
		if err != nil || m.Kind != c.kind {
			t.Errorf("%s: %v, %v", c.name, m, err)
			continue
		}
		if s := fmt.Sprintf("%v %+v %#v %s", m, m, m, *m); strings.Contains(s, docToken) || strings.Contains(s, "Document expired") {
			t.Errorf("%s: Message prints its content: %s", c.name, s)
		}
		if m.Kind == kraken.MessageFailed && (m.Err() == nil || strings.Contains(m.Err().Error(), "expired") || strings.Contains(fmt.Sprintf("%+v", m.Err()), "expired")) {
			t.Errorf("%s: Err() = %v", c.name, m.Err())
		}
	}
	m, _ := kraken.ParseMessageData([]byte(`{"open":"https://p.example/x","target":"_blank","features":"popup"}`), "")
	if m.Open != "https://p.example/x" || m.Target != "_blank" || m.Features != "popup" {
		t.Errorf("window %+v", *m)
	}
	m, _ = kraken.ParseMessageData([]byte(`{"response":"rejected","error":"Document expired"}`), "")
	if string(m.Error) != `"Document expired"` {
		t.Errorf("raw error %s", m.Error)
	}
	if _, err := kraken.ParseMessageData([]byte(`{"oneTimeToken":"t"}`), "s", kraken.RequireState()); !errors.Is(err, kraken.ErrStateMismatch) {
		t.Errorf("required state: %v", err)
	}
}

func TestCheckMessageOrigin(t *testing.T) {
	for _, c := range []struct {
		env    kraken.Environment
		origin string
		ok     bool
	}{
		{kraken.Production, "https://kraken.fractal.id", true},
		{kraken.Production, "https://KRAKEN.fractal.id:443", true},
		{kraken.Production, "https://kraken.fractal.id/", true},
		{kraken.Production, "https://kraken.staging.sandbox.fractal.id", false},
		{kraken.Production, "http://kraken.fractal.id", false},
		{kraken.Production, "https://kraken.fractal.id.evil.example", false},
		{kraken.Production, "null", false},
		{kraken.Staging, "https://kraken.staging.sandbox.fractal.id", true},
		{kraken.Environment{}, "https://kraken.fractal.id", false},
	} {
		err := c.env.CheckMessageOrigin(c.origin)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, kraken.ErrMessageOrigin)) {
			t.Errorf("%s vs %q: %v", c.env.Name, c.origin, err)
		}
	}
}
