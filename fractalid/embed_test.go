package fractalid_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

func TestEmbedConstantsAndOrigins(t *testing.T) {
	if fractalid.EmbedAllow != "camera *; fullscreen *" {
		t.Errorf("allow = %q", fractalid.EmbedAllow)
	}
	if fractalid.EmbedSandbox != "allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-same-origin allow-scripts" {
		t.Errorf("sandbox = %q", fractalid.EmbedSandbox)
	}
	if o := fractalid.Production.EmbedOrigin(); o != "https://app.fractal.id" {
		t.Errorf("production origin %q", o)
	}
	if o := fractalid.Staging.EmbedOrigin(); o != "https://app.staging.sandbox.fractal.id" {
		t.Errorf("staging origin %q", o)
	}
	st := fractalid.Staging
	st.MessageOrigin = "https://journey.staging.example/"
	if o := st.EmbedOrigin(); o != "https://journey.staging.example" || st.Validate() != nil {
		t.Errorf("overridden origin %q (%v)", o, st.Validate())
	}
	st.MessageOrigin = "https://journey.staging.example/path"
	if st.Validate() == nil {
		t.Error("an origin with a path must be refused")
	}
	st.MessageOrigin = "http://journey.example"
	if st.Validate() == nil {
		t.Error("an http origin off loopback must be refused")
	}
}

// Config.EmbedOrigin is the origin of the environment the Config runs
// against: the zero Environment is Production there as in every flow.
func TestConfigEmbedOrigin(t *testing.T) {
	override := fractalid.Staging
	override.MessageOrigin = "https://journey.staging.example/"
	for _, tt := range []struct {
		name string
		env  fractalid.Environment
		want string
	}{
		{"zero environment", fractalid.Environment{}, "https://app.fractal.id"},
		{"production", fractalid.Production, "https://app.fractal.id"},
		{"staging", fractalid.Staging, "https://app.staging.sandbox.fractal.id"},
		{"overridden MessageOrigin", override, "https://journey.staging.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fractalid.Config{ClientID: "id", RedirectURL: "https://shop.example/cb", Environment: tt.env}
			if got := cfg.EmbedOrigin(); got != tt.want {
				t.Errorf("EmbedOrigin() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmbedAuthOptions(t *testing.T) {
	cfg := fractalid.Config{ClientID: "id", RedirectURL: "https://app.example/cb"}
	u, err := cfg.AuthCodeURL("st", fractalid.WithLoginMethod(fractalid.LoginWallet), fractalid.WithWalletCurrency(fractalid.CurrencyKAR), fractalid.WithEnsureWallet("0xabc"))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.Parse(u)
	if q.Query().Get("method") != "wallet" || q.Query().Get("currency") != "kar" || q.Query().Get("ensure_wallet") != "0xabc" {
		t.Errorf("url = %s", u)
	}
	for _, o := range []fractalid.AuthOption{fractalid.WithLoginMethod("sms"), fractalid.WithLoginMethod(""), fractalid.WithWalletCurrency("btc"), fractalid.WithWalletCurrency("ETH")} {
		if _, err := cfg.AuthCodeURL("st", o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("invalid option accepted: %v", err)
		}
	}
}

// Through the fake: the completion message parses, its state is checked,
// and the code exchanges; a denial is an *AuthError.
func TestEmbedMessageAgainstTheFake(t *testing.T) {
	srv := fractalidtest.NewServer(t)
	srv.AddUser(fractalidtest.User{})
	cfg := srv.Config(fractalid.ScopeUID)
	authURL, err := cfg.AuthCodeURL("the-state", fractalid.WithLoginMethod(fractalid.LoginEmail))
	if err != nil {
		t.Fatal(err)
	}
	data, err := srv.ApproveEmbedded(authURL, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.ParseEmbedMessage(data, "other-state"); !errors.Is(err, fractalid.ErrStateMismatch) {
		t.Fatalf("wrong state: %v", err)
	}
	msg, err := cfg.ParseEmbedMessage(data, "the-state")
	if err != nil || msg.Kind != fractalid.EmbedCompleted || msg.Code == "" || msg.Sub1 != msg.Code {
		t.Fatalf("message: %v %v", msg, err)
	}
	for _, s := range []string{fmt.Sprint(msg), fmt.Sprintf("%+v", msg), fmt.Sprintf("%#v", *msg), slog.AnyValue(msg).Resolve().String()} {
		if strings.Contains(s, msg.Code) {
			t.Errorf("code printed: %s", s)
		}
	}
	tok, err := cfg.Exchange(context.Background(), msg.Code)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("exchange: %v", err)
	}

	denied, err := srv.DenyEmbedded(authURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.ParseEmbedMessage(denied, "the-state")
	var ae *fractalid.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, fractalid.ErrAccessDenied) || len(ae.Raw) == 0 {
		t.Fatalf("denial: %v", err)
	}
}

func TestParseEmbedMessage(t *testing.T) {
	cfg := fractalid.Config{}
	const st = "state-123"
	const secretText = "Jane Roe jane@example.com"
	for _, tc := range []struct {
		name string
		data string
		kind fractalid.EmbedMessageKind
		is   error
		code string // AuthError code
	}{
		{"completion", `{"code":"c0de","state":"state-123","sub1":"c0de"}`, fractalid.EmbedCompleted, nil, ""},
		{"completion without sub1", `{"code":"c0de","state":"state-123"}`, fractalid.EmbedCompleted, nil, ""},
		{"missing state", `{"code":"c0de"}`, 0, fractalid.ErrStateMismatch, ""},
		{"empty state", `{"code":"c0de","state":""}`, 0, fractalid.ErrStateMismatch, ""},
		{"wrong state", `{"code":"c0de","state":"state-124"}`, 0, fractalid.ErrStateMismatch, ""},
		{"missing code", `{"state":"state-123"}`, 0, fractalid.ErrMissingCode, ""},
		{"code not a string", `{"state":"state-123","code":5}`, 0, fractalid.ErrMalformedEmbedMessage, ""},
		{"state not a string", `{"state":["state-123"],"code":"c"}`, 0, fractalid.ErrMalformedEmbedMessage, ""},
		{"not an object", `"code"`, 0, fractalid.ErrMalformedEmbedMessage, ""},
		{"null", `null`, 0, fractalid.ErrMalformedEmbedMessage, ""},
		{"not JSON", `{code`, 0, fractalid.ErrMalformedEmbedMessage, ""},
		{"error string", `{"error":"access_denied"}`, 0, fractalid.ErrAccessDenied, "access_denied"},
		{"error object", `{"error":{"code":"user_rejected","message":"` + secretText + `"}}`, 0, fractalid.ErrAuthorizationFailed, "user_rejected"},
		{"error free text", `{"error":"` + secretText + `"}`, 0, fractalid.ErrAuthorizationFailed, fractalid.EmbedErrorCode},
		{"error with wrong state", `{"error":"access_denied","state":"x"}`, 0, fractalid.ErrStateMismatch, ""},
		{"error with code", `{"error":true,"code":"c0de","state":"state-123"}`, 0, fractalid.ErrAuthorizationFailed, fractalid.EmbedErrorCode},
		{"open window", `{"open":"https://metamask.app.link/dapp/x?token=abc","target":"_blank","features":"noopener"}`, fractalid.EmbedOpenWindow, nil, ""},
		{"open window target only", `{"target":"_self"}`, fractalid.EmbedOpenWindow, nil, ""},
		{"too large", `{"code":"` + strings.Repeat("a", fractalid.MaxEmbedMessageBytes) + `","state":"state-123"}`, 0, fractalid.ErrMalformedEmbedMessage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := cfg.ParseEmbedMessage([]byte(tc.data), st)
			if tc.is != nil {
				if !errors.Is(err, tc.is) || msg != nil {
					t.Fatalf("err = %v, want %v", err, tc.is)
				}
				var ae *fractalid.AuthError
				if tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code) {
					t.Errorf("AuthError = %#v, want code %q", err, tc.code)
				}
				for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%v", ae), slog.AnyValue(err).String()} {
					if strings.Contains(s, "jane") || strings.Contains(s, "c0de") || strings.Contains(s, st) {
						t.Errorf("printed form leaks: %s", s)
					}
				}
				return
			}
			if err != nil || msg.Kind != tc.kind {
				t.Fatalf("msg = %v, err = %v", msg, err)
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", msg, msg, *msg), "c0de") || strings.Contains(msg.String(), "token=abc") {
				t.Errorf("message printed a secret: %v", msg)
			}
		})
	}
	if _, err := cfg.ParseEmbedMessage([]byte(`{}`), ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("empty expected state: %v", err)
	}
}

func FuzzParseEmbedMessage(f *testing.F) {
	for _, s := range []string{
		`{"code":"c0de","state":"st","sub1":"c0de"}`,
		`{"error":{"code":"x","message":"free text"},"state":"st"}`,
		`{"error":"access_denied"}`,
		`{"open":"https://x.example","target":"_blank","features":""}`,
		`{"state":null,"code":null}`,
		`[]`,
	} {
		f.Add([]byte(s), "st")
	}
	cfg := fractalid.Config{}
	f.Fuzz(func(t *testing.T, data []byte, want string) {
		msg, err := cfg.ParseEmbedMessage(data, want)
		if (msg == nil) == (err == nil) {
			t.Fatalf("msg %v and err %v", msg, err)
		}
		if err != nil {
			var ae *fractalid.AuthError
			if errors.As(err, &ae) && len(ae.Raw) > 0 && !json.Valid(ae.Raw) {
				t.Fatalf("Raw is not JSON: %q", ae.Raw)
			}
			return
		}
		switch msg.Kind {
		case fractalid.EmbedCompleted:
			if msg.Code == "" || want == "" {
				t.Fatalf("completion without code or state")
			}
		case fractalid.EmbedOpenWindow:
		default:
			t.Fatalf("kind %v", msg.Kind)
		}
		if msg.Code != "" && len(msg.Code) > 3 && strings.Contains(msg.String(), msg.Code) {
			t.Fatalf("String prints the code")
		}
	})
}
