package ekycadmin_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
)

// TestReasonWithPersonalDataNeverPrinted: a 400 whose free-text reason
// repeats the submitted name and e-mail address prints neither through
// Error(), any fmt verb or slog; the reason stays in Message.
func TestReasonWithPersonalDataNeverPrinted(t *testing.T) {
	const (
		name  = "Quillonette Sentinelberg"
		email = "quillo.sntl+pii@example.test"
	)
	reasons := map[string]string{
		"sentence":      "Person " + name + " <" + email + "> does not match the identity on file",
		"e-mail alone":  email,
		"name and date": name + ",1983-11-29",
	}
	for what, reason := range reasons {
		t.Run(what, func(t *testing.T) {
			c, mt := newMockClient(t)
			var rec recorder
			body := `{"status":400,"error":{"id":"` + email + `","reason":"` + reason + `"},"missing_permissions":["` + email + `"]}`
			mt.RegisterResponder(http.MethodPost, base+"/ekyc/admin/u1/sessions", rec.respond(400, body))
			_, err := c.CreateSession(t.Context(), "u1", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/done"})
			var apiErr *kyc.APIError
			if !errors.As(err, &apiErr) || !errors.Is(err, kyc.ErrBadRequest) {
				t.Fatalf("error %T %v", err, err)
			}
			if apiErr.Message != reason {
				t.Errorf("Message = %q, want the reason", apiErr.Message)
			}
			wrapped := fmt.Errorf("creating a session: %w", err)
			var printed []string
			for _, e := range []any{err, wrapped, apiErr, *apiErr} {
				printed = append(printed, fmt.Sprint(e), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", e, e, e, e, e, e))
			}
			printed = append(printed, err.Error(), wrapped.Error())
			var logs bytes.Buffer
			for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
				slog.New(h).Error("create failed", "err", err, "wrapped", wrapped, "apierr", apiErr, "value", *apiErr)
			}
			printed = append(printed, logs.String())
			for _, p := range printed {
				for _, pii := range []string{"Quillonette", "Sentinelberg", "quillo.sntl", "example.test", "1983-11-29"} {
					if strings.Contains(p, pii) {
						t.Errorf("%q is printed: %s", pii, p)
					}
				}
			}
		})
	}
}
