package incode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/kycgo/kyc/integrations/incode"
)

// A stand-in for Incode: the token endpoint and request-new.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":3600}`))
	})
	mux.HandleFunc("POST /omni/b2b/onboarding/request-new", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"interviewId": "66a1b2c3d4e5f60718293a4b",
			"url":         "https://onboarding.example/" + fmt.Sprint(body["integrationReference"]),
		})
	})
	return httptest.NewServer(mux)
}

func ExampleClient_RequestNewOnboarding() {
	srv := exampleServer() // in production: incode.WithEnvironment(incode.Production())
	defer srv.Close()

	c, err := incode.NewClient(
		incode.WithEnvironment(incode.Environment{Name: "local", APIURL: srv.URL, AuthURL: srv.URL}),
		incode.WithAPIKey("api-key"),
		incode.WithClientCredentials("client-id", "client-secret"),
		incode.WithIntegrationID("int-1"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	link, err := c.RequestNewOnboarding(context.Background(), &incode.OnboardingRequest{
		LoginHint:           "ada@example.com",
		Notification:        &incode.Notification{Type: incode.NotifyEmail, Email: "ada@example.com"},
		LinkLifetimeMinutes: 60,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(link.InterviewID)
	fmt.Println(link.URL)
	fmt.Println(link) // prints the interview id only
	// Output:
	// 66a1b2c3d4e5f60718293a4b
	// https://onboarding.example/int-1
	// incode.OnboardingLink{InterviewID: 66a1b2c3d4e5f60718293a4b}
}

func ExampleVerifyHeader() {
	r := httptest.NewRequest(http.MethodPost, "/incode/webhook", nil)
	r.Header.Set("x-incode-secret", "configured-value")
	fmt.Println(incode.VerifyHeader(r, "x-incode-secret", incode.NewSecret("configured-value")))
	fmt.Println(incode.VerifyHeader(r, "x-incode-secret", incode.NewSecret("other")))
	// Output:
	// <nil>
	// incode: webhook header does not match
}

func ExampleParseWebhook() {
	w, err := incode.ParseWebhook([]byte(`{"eventType":"SESSION_SUCCEEDED","interviewId":"66a1","loginHint":"ada@example.com"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w, w.Outcome())
	// Output: incode.Webhook{Family: session, Event: SESSION_SUCCEEDED, InterviewID: 66a1} succeeded
}
