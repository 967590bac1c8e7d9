package incode_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
)

// The hosted flow on the fake: start and link, the person finishes, then
// the decision on the score and the approval.
func ExampleClient_StartHostedOnboarding() {
	srv, err := incodetest.Start() // in production: incode.WithEnvironment(incode.Production()), your keys
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	c, err := incode.NewClient(srv.ClientOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	h, err := c.StartHostedOnboarding(ctx, &incode.StartRequest{ExternalCustomerID: "user-1", RedirectionURL: "https://example.com/done"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Keep h.InterviewID and h.Token.Reveal() in your encrypted store;
	// send the person to h.URL.
	fmt.Println(strings.HasPrefix(h.URL, srv.URL()))
	fmt.Println(h.Token) // a credential: never printed

	_, _ = srv.Finish(h.InterviewID) // the person goes through the flow

	d, err := c.Decide(ctx, incode.BySessionToken(h.Token))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Verdict, "-", d.Reason)
	if d.Verdict == incode.Approved {
		a, err := c.Approve(ctx, incode.ByInterviewID(h.InterviewID)) // once
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(a.Success, a.ExistingCustomer, a.Token)
	}
	// Output:
	// true
	// [redacted]
	// approved - the overall score status is OK
	// true false [redacted]
}

// ONBOARDING_FINISHED alone is not a pass: the verdict comes from the
// score's overall status, and a score that is not computed is not ready.
func ExampleDecide() {
	for _, body := range []string{
		`{"overall":{"value":"94.6","status":"OK"}}`,
		`{"overall":{"value":"100.0","status":"FAIL"}}`,
		`{"overall":{"status":"WARN"}}`,
		`{"overall":{"status":"UNKNOWN"}}`,
		`{}`,
	} {
		score, err := incode.ParseScore([]byte(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(incode.Decide(incode.OnboardingFinished, score).Verdict)
	}
	fmt.Println(incode.Decide(incode.OnboardingExpired, nil).Verdict)
	fmt.Println(incode.Decide(incode.FaceValidationFinished, nil).Verdict)
	// Output:
	// approved
	// rejected
	// needs_review
	// not_ready
	// not_ready
	// rejected
	// not_ready
}

// Reading a session by interview id with the executive token, after the
// onboarding-status webhook named it.
func ExampleClient_Decide() {
	srv, err := incodetest.Start(incodetest.WithOutcome(incodetest.OutcomeWarn))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	c, err := incode.NewClient(append(srv.ClientOptions(),
		incode.WithExecutiveLogin(srv.ExecutiveEmail(), incode.NewSecret(srv.ExecutivePassword())))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	s, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = srv.Finish(s.InterviewID)

	d, err := c.Decide(ctx, incode.ByInterviewID(s.InterviewID))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Verdict, d.Status, d.Overall)
	// Output:
	// needs_review ONBOARDING_FINISHED WARN
}
