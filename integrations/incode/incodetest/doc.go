// Package incodetest is an in-process fake of the Incode endpoints package
// incode calls, for testing onboarding code without Incode: the
// client-credentials token endpoint, "Request New Onboarding" and the
// classic onboarding start. It validates requests the way the public
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
