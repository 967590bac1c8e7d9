package kraken_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

func newClient(t *testing.T, srv *krakentest.Server, opts ...option.ClientOption) *kraken.Client {
	t.Helper()
	c, err := kraken.NewClient(srv.Config(), append(srv.ClientOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The whole path: link, hosted page, redirect, exchange, status, data,
// file, webhook.
func TestEndToEndRedirect(t *testing.T) {
	ctx := context.Background()
	srv := krakentest.NewServer(t, krakentest.WithStateInRedirect())
	cfg := srv.Config()
	link, err := cfg.KYCURL(kraken.LevelBasicLivenessIDOS, "st-123")
	if err != nil {
		t.Fatal(err)
	}
	done, err := srv.Complete(ctx, link, krakentest.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	ret, err := kraken.ParseRedirect(httptest.NewRequest(http.MethodGet, done.RedirectURL.String(), nil), "st-123", kraken.RequireState())
	if err != nil {
		t.Fatal(err)
	}
	if !ret.StateChecked {
		t.Error("state not checked")
	}
	c := newClient(t, srv)
	sess, err := c.Session(ctx, ret.OneTimeToken)
	if err != nil {
		t.Fatal(err)
	}
	users := srv.Users()
	if len(users) != 1 || sess.UserID != users[0].ID || sess.State != kraken.StateApproved {
		t.Fatalf("session %+v, users %v", sess, users)
	}
	if users[0].Level != kraken.LevelBasicLivenessIDOS || users[0].LinkState != "st-123" {
		t.Errorf("fake saw level %q state %q", users[0].Level, users[0].LinkState)
	}
	st, err := c.Status(ctx, sess.UserID)
	if err != nil || st.Status != kraken.StateApproved {
		t.Fatalf("status %v, %v", st, err)
	}
	data, err := c.Data(ctx, sess.UserID)
	if err != nil {
		t.Fatal(err)
	}
	want := krakentest.DefaultOutcome().Person
	if data.Info.FirstNameEn != want.FirstName || data.Info.Nationality != want.Nationality || len(data.Info.IDDocs) != 1 ||
		data.Info.IDDocs[0].Number != want.Document.Number || data.Email != want.Email || !data.Green() ||
		data.Review.LevelName != kraken.LevelBasicLivenessIDOS || data.Agreement.AcceptedAt == "" {
		t.Errorf("data %+v", data.Info)
	}
	var img bytes.Buffer
	n, err := c.File(ctx, sess.UserID, kraken.FileSelfie, &img)
	if err != nil || n != int64(img.Len()) || !bytes.Equal(img.Bytes(), krakentest.DefaultOutcome().Files[kraken.FileSelfie]) {
		t.Fatalf("file: %d bytes, %v", n, err)
	}
	if _, err := c.File(ctx, sess.UserID, kraken.FileProofOfResidence, &img); !errors.Is(err, kyc.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}

	// The webhook, verified by the handler of package webhooks.
	v, err := kraken.NewWebhookVerifier(srv.WebhookSecret())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *kraken.WebhookEvent, 1)
	recv := httptest.NewServer(webhooks.NewHandler(v, func(_ context.Context, ev *webhooks.Event) error {
		if ev.Type != webhooks.EventKrakenStatus || ev.Kraken == nil {
			return errors.New("not a Kraken event")
		}
		got <- ev.Kraken
		return nil
	}))
	defer recv.Close()
	if err := srv.SetState(sess.UserID, kraken.StateRejected, "document expired"); err != nil {
		t.Fatal(err)
	}
	d, err := srv.SendWebhook(ctx, recv.URL, sess.UserID)
	if err != nil || !d.OK() {
		t.Fatalf("delivery %v, %v", d, err)
	}
	select {
	case ev := <-got:
		if ev.UserID != sess.UserID || ev.Status != "rejected" || ev.Note != "document expired" {
			t.Errorf("event %#v note %q", ev, ev.Note)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	d, err = srv.SendWebhook(ctx, recv.URL, sess.UserID, krakentest.WithBadSignature())
	if err != nil || d.StatusCode != http.StatusUnauthorized && d.StatusCode != http.StatusBadRequest {
		t.Errorf("bad signature answered %v, %v", d, err)
	}
	// The status follows the change.
	st, err = c.Status(ctx, sess.UserID)
	if err != nil || st.Status != kraken.StateRejected {
		t.Fatalf("status after change %v, %v", st, err)
	}
	data, err = c.Data(ctx, sess.UserID)
	if err != nil || data.Green() || data.Review.ReviewResult.ReviewAnswer != "RED" {
		t.Fatalf("data after change %v, %v", data, err)
	}
}

// The iframe form: the page posts {oneTimeToken, state} to its parent.
func TestEndToEndIframe(t *testing.T) {
	ctx := context.Background()
	srv := krakentest.NewServer(t)
	cfg := srv.Config()
	link, err := cfg.KYCURL(kraken.LevelBasic, "iframe-state")
	if err != nil {
		t.Fatal(err)
	}
	done, err := srv.Complete(ctx, link, krakentest.Iframe)
	if err != nil {
		t.Fatal(err)
	}
	env := srv.Environment()
	if _, err := env.ParseMessage("https://evil.example", done.Message, "iframe-state"); !errors.Is(err, kraken.ErrMessageOrigin) {
		t.Fatalf("foreign origin: %v", err)
	}
	if _, err := env.ParseMessage(done.Origin, done.Message, "another-state"); !errors.Is(err, kraken.ErrStateMismatch) {
		t.Fatalf("wrong state: %v", err)
	}
	m, err := env.ParseMessage(done.Origin, done.Message, "iframe-state")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != kraken.MessageDone || !m.StateChecked {
		t.Fatalf("message %v checked %v", m, m.StateChecked)
	}
	sess, err := newClient(t, srv).Session(ctx, m.OneTimeToken)
	if err != nil || sess.State != kraken.StateApproved {
		t.Fatalf("session %v, %v", sess, err)
	}

	// A scripted failure in the page.
	o := krakentest.DefaultOutcome()
	o.PageError = "user cancelled"
	if err := srv.SetOutcome(o); err != nil {
		t.Fatal(err)
	}
	link, _ = cfg.KYCURL(kraken.LevelBasic, "iframe-state")
	done, err = srv.Complete(ctx, link, krakentest.Iframe)
	if err != nil {
		t.Fatal(err)
	}
	m, err = env.ParseMessage(done.Origin, done.Message, "iframe-state")
	if err != nil || m.Kind != kraken.MessageFailed || m.Response != "rejected" || string(m.Error) != `"user cancelled"` {
		t.Fatalf("failure message %v %s, %v", m, m.Error, err)
	}
	var rej *kraken.RejectedError
	if !errors.As(m.Err(), &rej) || !errors.Is(m.Err(), kraken.ErrRejected) {
		t.Errorf("Err() = %v", m.Err())
	}
}

// A pending user becomes approved; the status endpoint and the webhook agree.
func TestPendingThenApproved(t *testing.T) {
	ctx := context.Background()
	o := krakentest.DefaultOutcome()
	o.State = kraken.StatePending
	o.ExternalState = "in-review"
	srv := krakentest.NewServer(t, krakentest.WithOutcome(o))
	cfg := srv.Config()
	link, _ := cfg.KYCURL(kraken.LevelBasic, "")
	done, err := srv.Complete(ctx, link, krakentest.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	ret, err := kraken.ParseRedirectQuery(done.RedirectURL.RawQuery, "")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	sess, err := c.Session(ctx, ret.OneTimeToken)
	if err != nil || sess.State != kraken.StatePending || string(sess.ExternalState) != `"in-review"` || sess.State.Final() {
		t.Fatalf("session %+v, %v", sess, err)
	}
	if err := srv.SetState(sess.UserID, kraken.StateApproved, ""); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx, sess.UserID)
	if err != nil || st.Status != kraken.StateApproved || !st.Status.Final() {
		t.Fatalf("status %v, %v", st, err)
	}
	payload, err := srv.WebhookPayload(sess.UserID)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := kraken.NewWebhookVerifier(srv.WebhookSecret())
	ev, err := v.Verify(payload, webhooks.SignKraken(payload, srv.WebhookSecret()))
	if err != nil || ev.Kraken.Status != "approved" || ev.UserID() != sess.UserID {
		t.Fatalf("webhook %v, %v", ev, err)
	}
}
