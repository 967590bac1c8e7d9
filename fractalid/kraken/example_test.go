package kraken_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// Loading the key from an environment variable, where the PEM is often
// stored on one line with literal \n escapes.
func ExampleParsePrivateKey() {
	key, err := kraken.ParsePrivateKey([]byte(os.Getenv("KRAKEN_PRIVATE_KEY")))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := kraken.Config{ClientID: os.Getenv("KRAKEN_CLIENT_ID"), Key: key, Environment: kraken.Staging}
	fmt.Println(cfg)
	// Output: kraken: invalid private key: no PEM block found
}

func ExampleConfig_KYCURL() {
	srv, err := krakentest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config() // production: kraken.Config{ClientID: …, Key: key}

	link, err := cfg.KYCURL(kraken.LevelBasicLivenessIDOS, "an-unguessable-state")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(link, srv.URL()+"/kyc?token=ey"))
	// Output: true
}

func ExampleParseRedirect() {
	// The handler of the redirect URL registered with Fractal.
	r := httptest.NewRequest(http.MethodGet, "/kraken/return?oneTimeToken=MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr-Cskq3Jevso", nil)
	ret, err := kraken.ParseRedirect(r, "the-state-from-the-session")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ret, len(ret.OneTimeToken))
	// Output: kraken.Redirect{OneTimeToken: [redacted], StateChecked: false} 43
}

func ExampleEnvironment_ParseMessage() {
	// What the front end forwarded from its message listener:
	// {origin: event.origin, data: event.data}.
	origin := "https://kraken.fractal.id"
	data := []byte(`{"oneTimeToken":"MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr-Cskq3Jevso","state":"s-1"}`)
	m, err := kraken.Production.ParseMessage(origin, data, "s-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	switch m.Kind {
	case kraken.MessageDone:
		fmt.Println("exchange the token; state checked:", m.StateChecked)
	case kraken.MessageFailed:
		fmt.Println("failed:", m.Err())
	case kraken.MessageOpenWindow:
		fmt.Println("open", m.Open)
	}
	_, err = kraken.Production.ParseMessage("https://attacker.example", data, "s-1")
	fmt.Println(err)
	// Output:
	// exchange the token; state checked: true
	// kraken: iframe message: message from an unexpected origin
}

func ExampleClient_Session() {
	srv, err := krakentest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	cfg := srv.Config()
	link, _ := cfg.KYCURL(kraken.LevelBasic, "")
	done, err := srv.Complete(ctx, link, krakentest.Redirect) // the user's part
	if err != nil {
		log.Fatal(err)
	}
	ret, err := kraken.ParseRedirectQuery(done.RedirectURL.RawQuery, "")
	if err != nil {
		log.Fatal(err)
	}

	c, err := kraken.NewClient(cfg, option.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		log.Fatal(err)
	}
	sess, err := c.Session(ctx, ret.OneTimeToken)
	if err != nil {
		log.Fatal(err)
	}
	st, err := c.Status(ctx, sess.UserID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sess.State, st.Status, st.Status.Final())
	// Output: approved approved true
}

func ExampleNewWebhookVerifier() {
	// The secret Fractal sent at onboarding (from your configuration), and
	// the previous one while it is being rotated.
	v, err := kraken.NewWebhookVerifier("current-webhook-secret", "previous-secret-during-rotation")
	if err != nil {
		log.Fatal(err)
	}
	h := webhooks.NewHandler(v, func(ctx context.Context, ev *webhooks.Event) error {
		k := ev.Kraken // a *kraken.WebhookEvent
		log.Printf("user %s is now %s", k.UserID, k.Status)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/kraken", h)

	body := []byte(`{"id":"user-1","status":"approved","note":""}`)
	ev, err := v.Verify(body, webhooks.SignKraken(body, "previous-secret-during-rotation"))
	fmt.Println(ev.Type, ev.Kraken, err)
	// Output: kraken_status {UserID:user-1 Status:approved} <nil>
}
