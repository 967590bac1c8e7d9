// Package incodetest is an in-process fake of the Incode endpoints package
// incode calls, for testing onboarding code without Incode: the
// client-credentials token endpoint, "Request New Onboarding", the classic
// onboarding start and the hosted flow after it (executive login,
// onboarding URL, status, score, OCR data, approve, finish and close).
//
// Sessions move when the test says: Advance (one step), Finish (to the
// end, as the person finishing the hosted flow) and Review (a manual
// review's verdict). How a flow ends is scripted per server (WithOutcome)
// or per session (SetOutcome): pass, warn, fail, manual review, expired or
// a score that is never computed; the score and OCR data follow. With
// WithWebhook every status change is delivered as Incode's
// onboarding-status webhook. It validates requests the way the public
// sources describe them, answers refusals in Incode's error shape, issues
// interview ids and records every onboarding it created, and injects
// faults (5xx, resets before or after the request is handled, hangs,
// truncated or oversized bodies) so tests can assert what the caller saw
// and what the server did, for example that exactly one onboarding was
// created after a 503.
//
//	srv := incodetest.NewServer(t)
//	c, err := incode.NewClient(srv.ClientOptions()...)
//	link, err := c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "ada@example.com"})
//	// len(srv.Onboardings()) == 1
//
// Where Incode's own rules are unknown the fake picks strict ones and
// documents them: the token endpoint accepts the credentials in the form
// body only and requires scope openid; request-new requires the
// notification address of the chosen type and accepts the link lifetime
// under either known name (WithLinkLifetimeField picks one).
package incodetest
