package incodetest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
)

// A user's test of the code that sends a person to Incode: the fake
// records the onboarding the client created, and the test reads the
// session's status as the application would.
func Example() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := incodetest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	client, err := incode.NewClient(srv.ClientOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}

	link, err := client.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "person@example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("onboardings created:", len(srv.Onboardings()))

	st, _ := client.OnboardingStatus(ctx, incode.ByInterviewID(link.InterviewID))
	fmt.Println("before the flow:", st)
	_, _ = srv.Finish(link.InterviewID) // the person goes through the hosted flow
	st, _ = client.OnboardingStatus(ctx, incode.ByInterviewID(link.InterviewID))
	fmt.Println("after the flow:", st)
	// Output:
	// onboardings created: 1
	// before the flow: UNKNOWN
	// after the flow: ONBOARDING_FINISHED
}

// Advance moves a session one step at a time, so a test can check what
// the application does while the flow is still running.
func ExampleServer_Advance() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := incodetest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	client, _ := incode.NewClient(srv.ClientOptions()...)
	s, err := client.StartOnboarding(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	for range 2 {
		st, _ := srv.Advance(s.InterviewID)
		d, _ := client.Decide(ctx, incode.ByInterviewID(s.InterviewID))
		fmt.Println(st, d.Verdict)
	}
	// Output:
	// ID_VALIDATION_FINISHED not_ready
	// POST_PROCESSING_FINISHED not_ready
}

// A session scripted for a manual review waits for the reviewer; Review
// settles it and the decision follows.
func ExampleServer_Review() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := incodetest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	client, _ := incode.NewClient(srv.ClientOptions()...)
	s, err := client.StartOnboarding(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.SetOutcome(s.InterviewID, incodetest.OutcomeManualReview)
	_, _ = srv.Finish(s.InterviewID)

	d, _ := client.Decide(ctx, incode.ByInterviewID(s.InterviewID))
	fmt.Println(d.Verdict, d.Overall)
	_ = srv.Review(s.InterviewID, true)
	d, _ = client.Decide(ctx, incode.ByInterviewID(s.InterviewID))
	fmt.Println(d.Verdict, d.Status)
	// Output:
	// needs_review MANUAL_PENDING
	// approved MANUAL_REVIEW_APPROVED
}
