package kraken

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
)

// scrub keeps the typed chain whatever the token: short or common tokens
// (which Session refuses) appear in the error's own words, and a normal
// one only in its path.
func TestScrubKeepsTypedErrors(t *testing.T) {
	for _, tok := range []string{"GET", "o", "Found", "kyc", " ", "MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr-Cskq3Jevso"} {
		path := sessionPrefix + tok
		api := &kyc.APIError{StatusCode: http.StatusNotFound, Method: http.MethodGet, Path: path, Code: "Not Found",
			Message: "token " + tok + " not found", Body: []byte(`{"message":"token ` + tok + ` not found"}`)}
		cases := map[string]struct {
			err  error
			want []error
		}{
			"api":     {api, []error{kyc.ErrNotFound}},
			"wrapped": {fmt.Errorf("kraken: session %s: %w", tok, &kyc.APIError{StatusCode: http.StatusNotFound, Method: http.MethodGet, Path: path}), []error{kyc.ErrNotFound}},
			"transport": {&kyc.TransportError{Method: http.MethodGet, Path: path, Err: &url.Error{Op: "Get", URL: "http://127.0.0.1:1" + path, Err: context.Canceled}},
				[]error{context.Canceled}},
			"decode": {&kyc.DecodeError{Method: http.MethodGet, Path: path, StatusCode: 200, Err: errors.New("unexpected EOF")}, []error{kyc.ErrDecode}},
		}
		for name, c := range cases {
			err := scrub(c.err, tok)
			for _, s := range c.want {
				if !errors.Is(err, s) {
					t.Errorf("%q %s: %v does not match %v", tok, name, err, s)
				}
			}
			var ae *kyc.APIError
			if (name == "api" || name == "wrapped") && (!errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound || strings.Contains(ae.Path, tok) && len(tok) > 5) {
				t.Errorf("%q %s: no *APIError with a redacted path in %v", tok, name, err)
			}
			if name == "api" && len(tok) > 5 && (strings.Contains(ae.Message, tok) || bytes.Contains(ae.Body, []byte(tok))) {
				t.Errorf("%q: the token stays in Message or Body", tok)
			}
			var ue *url.Error
			if errors.As(err, &ue) && strings.Contains(ue.URL, sessionPrefix+tok) {
				t.Errorf("%q %s: the URL keeps the token: %s", tok, name, ue.URL)
			}
			var logs bytes.Buffer
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "err", err)
			var line map[string]any
			if json.Unmarshal(logs.Bytes(), &line) != nil {
				t.Fatalf("log %s", logs.String())
			}
			logged, _ := line["err"].(string)
			for verb, s := range map[string]string{"Error": err.Error(), "%v": fmt.Sprintf("%v", err), "%+v": fmt.Sprintf("%+v", err), "%s": fmt.Sprintf("%s", err), "%#v": fmt.Sprintf("%#v", err), "slog": logged} {
				if s == "" || strings.Contains(s, tok) {
					t.Errorf("%q %s: %s shows the token: %q", tok, name, verb, s)
				}
			}
			if len(tok) > 5 && name == "api" && err.Error() != "kyc: GET /public/kyc/token/[redacted]: 404 Not Found (\"Not Found\")" {
				t.Errorf("normal token: %q", err.Error())
			}
		}
	}
}
