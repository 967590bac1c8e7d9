package fractalidtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// DeliveryTimeout is how long Fractal waits for a receiver's reply before
// counting the delivery as failed: 10 seconds.
const DeliveryTimeout = 10 * time.Second

// maxReplyExcerpt is how much of a receiver's reply a Delivery keeps.
const maxReplyExcerpt = 4 << 10

// Notification is a webhook notification to send: {"type": Type, "data":
// Data}. Data is encoded with encoding/json; the typed payloads of package
// webhooks fit (webhooks.VerificationData, webhooks.EmailChangedData, ...),
// as does a json.RawMessage.
type Notification struct {
	Type webhooks.EventType
	Data any
}

// String returns the type only (the data may hold personal data).
func (n Notification) String() string {
	return "fractalidtest.Notification{Type: " + string(n.Type) + "}"
}

// Payload returns the body Fractal would send: compact JSON, no trailing
// newline.
func (n Notification) Payload() ([]byte, error) {
	if n.Type == "" {
		return nil, errors.New("fractalidtest: notification without a type")
	}
	b, err := json.Marshal(struct {
		Type webhooks.EventType `json:"type"`
		Data any                `json:"data"`
	}{n.Type, n.Data})
	if err != nil {
		return nil, fmt.Errorf("fractalidtest: notification %s: %w", n.Type, err)
	}
	return b, nil
}

// rfc3339 formats a time as Fractal does: UTC, whole seconds.
func rfc3339(t time.Time) webhooks.Timestamp {
	return webhooks.ParseTimestamp(t.UTC().Truncate(time.Second).Format(time.RFC3339))
}

// VerificationNotification builds a verification_approved,
// verification_contacted or verification_rejected notification for one
// level or add-on.
func VerificationNotification(t webhooks.EventType, userID, level string, at time.Time) Notification {
	return Notification{Type: t, Data: webhooks.VerificationData{Level: level, UserID: userID, Timestamp: rfc3339(at)}}
}

// EmailChangedNotification builds an email_changed notification (it has no
// timestamp).
func EmailChangedNotification(userID, email string) Notification {
	return Notification{Type: webhooks.EventEmailChanged, Data: webhooks.EmailChangedData{UserID: userID, Email: email}}
}

// CredentialSharedNotification builds a credential_shared notification (no
// user id, no level; its time is shared_at).
func CredentialSharedNotification(idosHumanID, credentialID string, at time.Time) Notification {
	return Notification{Type: webhooks.EventCredentialShared, Data: webhooks.CredentialSharedData{IDOSHumanID: idosHumanID, CredentialID: credentialID, SharedAt: rfc3339(at)}}
}

// Delivery is the outcome of sending one notification.
type Delivery struct {
	// Type is the notification type.
	Type webhooks.EventType
	// Payload is the exact body sent (it may hold personal data).
	Payload []byte
	// Signature is the X-Fractal-Signature value sent ("" when unsigned).
	Signature string
	// StatusCode is the receiver's status, 0 when no reply arrived.
	StatusCode int
	// Header is the receiver's reply header.
	Header http.Header
	// Body is an excerpt (at most 4 KiB) of the receiver's reply.
	Body []byte
	// Duration is how long the delivery took.
	Duration time.Duration
	// Err is the transport error (timeout, refused, reset), if any.
	Err error
}

// OK reports whether Fractal would count the delivery as successful: a 2xx
// reply (3xx included, everything else fails).
func (d *Delivery) OK() bool { return d.Err == nil && d.StatusCode >= 200 && d.StatusCode < 300 }

// String prints the type, status and error, never the payload or signature.
func (d *Delivery) String() string {
	s := fmt.Sprintf("delivery %s -> %d", d.Type, d.StatusCode)
	if d.Err != nil {
		s += " (" + d.Err.Error() + ")"
	}
	return s
}

// SendOption changes how SendWebhook and SendWebhooks deliver.
type SendOption func(*sendSettings) error

type sendSettings struct {
	clientID  string
	secret    string
	badSig    bool
	noSig     bool
	duplicate bool
	shuffle   bool
	seed      uint64
	reverse   bool
	hc        *http.Client
	timeout   time.Duration
}

// FromClient signs with the webhook secrets of this registered application
// instead of the default one's.
func FromClient(id string) SendOption {
	return func(s *sendSettings) error {
		if id == "" {
			return errors.New("fractalidtest: FromClient: empty id")
		}
		s.clientID = id
		return nil
	}
}

// WithSecret signs with secret instead of the application's secret for the
// type.
func WithSecret(secret string) SendOption {
	return func(s *sendSettings) error {
		if secret == "" {
			return errors.New("fractalidtest: WithSecret: empty secret")
		}
		s.secret = secret
		return nil
	}
}

// WithBadSignature sends a well-formed signature made with a wrong secret.
func WithBadSignature() SendOption {
	return func(s *sendSettings) error { s.badSig = true; return nil }
}

// WithoutSignature sends no X-Fractal-Signature header.
func WithoutSignature() SendOption {
	return func(s *sendSettings) error { s.noSig = true; return nil }
}

// WithDuplicate delivers every notification twice (SendWebhooks), as
// Fractal's at-least-once delivery sometimes does.
func WithDuplicate() SendOption {
	return func(s *sendSettings) error { s.duplicate = true; return nil }
}

// WithShuffle delivers the notifications (and their duplicates) in a
// pseudo-random order drawn from seed (SendWebhooks): Fractal does not
// guarantee order.
func WithShuffle(seed uint64) SendOption {
	return func(s *sendSettings) error { s.shuffle, s.seed = true, seed; return nil }
}

// WithReverse delivers the notifications in reverse order (SendWebhooks).
func WithReverse() SendOption {
	return func(s *sendSettings) error { s.reverse = true; return nil }
}

// WithDeliveryClient sends through hc (for example an httptest TLS server's
// client). Redirects are never followed: Fractal counts a 3xx as a failure.
func WithDeliveryClient(hc *http.Client) SendOption {
	return func(s *sendSettings) error {
		if hc == nil {
			return errors.New("fractalidtest: WithDeliveryClient: nil client")
		}
		s.hc = hc
		return nil
	}
}

// WithDeliveryTimeout changes how long a delivery waits for the reply
// (DeliveryTimeout by default).
func WithDeliveryTimeout(d time.Duration) SendOption {
	return func(s *sendSettings) error {
		if d <= 0 {
			return errors.New("fractalidtest: WithDeliveryTimeout: timeout must be positive")
		}
		s.timeout = d
		return nil
	}
}

// SendWebhook POSTs one notification to url as Fractal does: compact JSON,
// Content-Type application/json, signed with webhooks.Sign and the webhook
// secret of its type in the X-Fractal-Signature header. It reports what
// the receiver answered; the error is for a notification that cannot be
// built or sent at all (bad option, no secret for the type, transport
// failure, which is also in Delivery.Err). A non-2xx reply is not an error:
// check Delivery.OK. WithDuplicate, WithShuffle and WithReverse apply to
// SendWebhooks only.
func (s *Server) SendWebhook(ctx context.Context, url string, n Notification, opts ...SendOption) (*Delivery, error) {
	ds, err := s.SendWebhooks(ctx, url, []Notification{n}, append(slices.Clone(opts), func(st *sendSettings) error {
		st.duplicate, st.shuffle, st.reverse = false, false, false
		return nil
	})...)
	if len(ds) == 0 {
		return nil, err
	}
	return ds[0], err
}

// SendWebhooks delivers notifications one after the other (duplicated and
// reordered as the options say) and returns one Delivery per attempt, in
// the order sent. It stops early only when ctx is done; the error joins the
// transport errors of the deliveries.
func (s *Server) SendWebhooks(ctx context.Context, url string, ns []Notification, opts ...SendOption) ([]*Delivery, error) {
	st := sendSettings{timeout: DeliveryTimeout}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&st); err != nil {
			return nil, err
		}
	}
	clientID := st.clientID
	s.mu.Lock()
	if clientID == "" {
		clientID = s.defaultID
	}
	app, ok := s.clients[clientID]
	if ok {
		app = app.clone()
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("fractalidtest: no client %s", clientID)
	}
	type prepared struct {
		typ       webhooks.EventType
		payload   []byte
		signature string
	}
	var list []prepared
	for _, n := range ns {
		payload, err := n.Payload()
		if err != nil {
			return nil, err
		}
		p := prepared{typ: n.Type, payload: payload}
		if !st.noSig {
			secret := st.secret
			if secret == "" {
				secret = app.webhookSecret(n.Type)
			}
			if secret == "" {
				return nil, fmt.Errorf("fractalidtest: client %s has no webhook secret for %s: %w", app.ID, n.Type, webhooks.ErrNoSecret)
			}
			if st.badSig {
				secret += "-wrong"
			}
			p.signature = webhooks.Sign(payload, secret)
		}
		list = append(list, p)
		if st.duplicate {
			list = append(list, p)
		}
	}
	if st.shuffle {
		r := rand.New(rand.NewPCG(st.seed, st.seed^0x9e3779b97f4a7c15))
		r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	if st.reverse {
		slices.Reverse(list)
	}
	hc := &http.Client{Timeout: st.timeout}
	if st.hc != nil {
		c := *st.hc
		c.Timeout = st.timeout
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var out []*Delivery
	var errs []error
	for _, p := range list {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		d := deliver(ctx, hc, url, p.typ, p.payload, p.signature)
		out = append(out, d)
		if d.Err != nil {
			errs = append(errs, d.Err)
		}
	}
	return out, errors.Join(errs...)
}

func deliver(ctx context.Context, hc *http.Client, url string, typ webhooks.EventType, payload []byte, sig string) *Delivery {
	d := &Delivery{Type: typ, Payload: payload, Signature: sig}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		d.Err = fmt.Errorf("fractalidtest: webhook request: %w", err)
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(webhooks.SignatureHeader, sig)
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		d.Duration = time.Since(start)
		d.Err = fmt.Errorf("fractalidtest: webhook delivery of %s: %w", typ, err)
		return d
	}
	defer resp.Body.Close()
	d.StatusCode, d.Header = resp.StatusCode, resp.Header
	d.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxReplyExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	d.Duration = time.Since(start)
	if err != nil {
		d.Err = fmt.Errorf("fractalidtest: webhook reply of %s: %w", typ, err)
	}
	return d
}
