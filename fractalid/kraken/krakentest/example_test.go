package krakentest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
)

// A user's test of the whole journey: the fake's Config signs the link,
// Complete plays the browser on the hosted page, and the real client
// exchanges the one-time token of the redirect and reads the user.
func Example() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := krakentest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	cfg := srv.Config()
	client, err := kraken.NewClient(cfg, srv.ClientOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}

	link, _ := cfg.KYCURL(kraken.LevelBasic, "state-1")
	done, err := srv.Complete(ctx, link, krakentest.Redirect)
	if err != nil {
		fmt.Println(err)
		return
	}
	ret, _ := kraken.ParseRedirectQuery(done.RedirectURL.RawQuery, "state-1")
	sess, err := client.Session(ctx, ret.OneTimeToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("session:", sess.State)

	// The fake's one-time tokens are single use.
	_, err = client.Session(ctx, ret.OneTimeToken)
	fmt.Println("reused token not found:", errors.Is(err, kyc.ErrNotFound))

	st, _ := client.Status(ctx, sess.UserID)
	fmt.Println("status:", st.Status, "final:", st.Status.Final())
	// Output:
	// session: approved
	// reused token not found: true
	// status: approved final: true
}

// SetOutcome scripts the next journeys; SetState moves a user later, as
// a manual review would, and the status endpoint follows.
func ExampleServer_SetOutcome() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := krakentest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	o := krakentest.DefaultOutcome()
	o.State = kraken.StatePending
	_ = srv.SetOutcome(o)
	cfg := srv.Config()
	client, _ := kraken.NewClient(cfg, srv.ClientOptions()...)

	link, _ := cfg.KYCURL(kraken.LevelBasic, "")
	if _, err := srv.Complete(ctx, link, krakentest.Redirect); err != nil {
		fmt.Println(err)
		return
	}
	u := srv.Users()[0]
	st, _ := client.Status(ctx, u.ID)
	fmt.Println("after the journey:", st.Status)

	_ = srv.SetState(u.ID, kraken.StateRejected, "document expired")
	st, _ = client.Status(ctx, u.ID)
	fmt.Println("after the review:", st.Status)
	// Output:
	// after the journey: pending
	// after the review: rejected
}
