package kraken

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
)

// FuzzDecodeData: any JSON object decodes without panicking, Raw keeps it
// whole and the typed fields are a subset of what was sent.
func FuzzDecodeData(f *testing.F) {
	for _, s := range []string{
		`{"info":{"firstNameEn":"A","idDocs":[{"number":"X"}]},"review":{"reviewResult":{"reviewAnswer":"GREEN"}},"email":"a@b"}`,
		`{"info":{"firstNameEn":5,"idDocs":[{"number":7},"x"]},"email":[]}`,
		`{"info":[],"review":"x"}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || len(b) == 0 || b[0] != '{' {
			return
		}
		d := &Data{Raw: b}
		decodeLenient(b, d)
		if string(d.Raw) != string(b) {
			t.Fatal("Raw changed")
		}
		if d.Email != "" && !strings.Contains(string(b), "email") {
			t.Fatal("email from nowhere")
		}
		if strings.Contains(d.String(), d.Email) && d.Email != "" && !strings.Contains(d.Review.LevelName+d.Review.ReviewResult.ReviewAnswer, d.Email) {
			t.Fatal("String shows the email")
		}
	})
}

// FuzzDecodeError: Code is a short word or empty, whatever the body.
func FuzzDecodeError(f *testing.F) {
	for _, s := range []string{`{"statusCode":404,"message":"Token not found","error":"Not Found"}`, `{"message":["a","b"],"error":"a@b.c"}`, `oops`, `{"code":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e := &kyc.APIError{StatusCode: http.StatusNotFound, Method: http.MethodGet, Path: "/p"}
		if got := decodeError(e, b); got != e {
			t.Fatal("another error returned")
		}
		if !isCode(e.Code) && e.Code != "" {
			t.Fatalf("code %q", e.Code)
		}
		if strings.ContainsAny(e.Error(), "@\n") && !strings.ContainsAny(e.Path, "@\n") {
			t.Fatalf("Error() shows body text: %q", e.Error())
		}
	})
}
