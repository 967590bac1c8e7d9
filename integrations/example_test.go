package integrations_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kycgo/kyc/integrations"
)

func ExampleLoadEnv() {
	env := map[string]string{
		"KYC_FRACTAL_CLIENT_ID":                            "my-app",
		"KYC_FRACTAL_CLIENT_SECRET":                        "s3cr3t",
		"KYC_FRACTAL_REDIRECT_URI":                         "https://app.example/callback",
		"KYC_FRACTAL_ENVIRONMENT":                          "staging",
		"KYC_FRACTAL_WEBHOOK_SECRET_VERIFICATION_APPROVED": "whsec",
	}
	settings, err := integrations.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(settings.Fractal.ClientID, settings.Fractal.ClientSecret)
	fmt.Printf("%+v\n", settings.Fractal.WebhookSecrets)
	fmt.Println(settings.Incode == nil)
	// Output:
	// my-app [redacted]
	// map[verification_approved:[[redacted]]]
	// true
}

func ExampleLoad() {
	_, err := integrations.Load(strings.NewReader(`{
		"incode": {"api_key": "k", "environment": "sandbox", "integration_id": "int-1", "api_url": "http://api.example"}
	}`))
	var ve *integrations.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// incode.client_id (KYC_INCODE_CLIENT_ID): is required
	// incode.client_secret (KYC_INCODE_CLIENT_SECRET): is required
	// incode.environment (KYC_INCODE_ENVIRONMENT): must be "production" or "demo"
	// incode.api_url (KYC_INCODE_API_URL): must use https (http is allowed only for localhost and loopback addresses)
}

func ExampleSecret() {
	s := integrations.NewSecret("hunter2")
	fmt.Println(s, fmt.Sprintf("%q %x %#v", s, s, s))
	fmt.Println(integrations.Secret{})
	fmt.Println(len(s.Reveal()))
	// Output:
	// [redacted] "[redacted]" [redacted] [redacted]
	// [empty]
	// 7
}
