package krakentest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// DeliveryTimeout is how long the fake waits for a receiver's reply
// (Kraken's own timeout is not documented).
const DeliveryTimeout = 10 * time.Second

// Delivery is one webhook delivery and the receiver's reply.
type Delivery struct {
	// Payload is the body sent and Signature the X-Fractal-Signature value
	// ("" when unsigned).
	Payload   []byte
	Signature string
	// StatusCode is the receiver's status, 0 when no reply arrived.
	StatusCode int
	// Err is the transport error, if any.
	Err error
}

// OK reports a 2xx reply.
func (d *Delivery) OK() bool { return d.Err == nil && d.StatusCode >= 200 && d.StatusCode < 300 }

// GoString is String.
func (d Delivery) GoString() string { return d.String() }

// LogValue logs the status only.
func (d Delivery) LogValue() slog.Value { return slog.StringValue(d.String()) }

// String prints the status and error, never the payload or signature.
func (d Delivery) String() string {
	s := fmt.Sprintf("kraken delivery -> %d", d.StatusCode)
	if d.Err != nil {
		s += " (" + d.Err.Error() + ")"
	}
	return s
}

// SendOption changes how SendWebhook delivers.
type SendOption func(*sendSettings)

type sendSettings struct {
	badSig, noSig bool
	hc            *http.Client
}

// WithBadSignature signs with a wrong secret.
func WithBadSignature() SendOption { return func(s *sendSettings) { s.badSig = true } }

// WithoutSignature leaves out the X-Fractal-Signature header.
func WithoutSignature() SendOption { return func(s *sendSettings) { s.noSig = true } }

// WithDeliveryClient sends through hc (for a receiver behind TLS).
func WithDeliveryClient(hc *http.Client) SendOption { return func(s *sendSettings) { s.hc = hc } }

// WebhookPayload returns the body Kraken sends for the user's current
// state: {"id", "status", "note"}, compact JSON.
func (s *Server) WebhookPayload(userID string) ([]byte, error) {
	s.mu.Lock()
	u, ok := s.users[userID]
	var body any
	if ok {
		body = struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Note   string `json:"note"`
		}{u.ID, string(u.Outcome.State), u.Outcome.Note}
	}
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("krakentest: no such user")
	}
	return json.Marshal(body)
}

// SendWebhook POSTs the user's status notification to url as Kraken does:
// JSON {"id", "status", "note"} with X-Fractal-Signature holding the bare
// hex HMAC-SHA256 of the body under the webhook secret. A non-2xx reply is
// not an error: check Delivery.OK.
func (s *Server) SendWebhook(ctx context.Context, url, userID string, opts ...SendOption) (*Delivery, error) {
	var st sendSettings
	for _, o := range opts {
		if o != nil {
			o(&st)
		}
	}
	payload, err := s.WebhookPayload(userID)
	if err != nil {
		return nil, err
	}
	d := &Delivery{Payload: payload}
	if !st.noSig {
		secret := s.cfg.webhookSecret
		if st.badSig {
			secret += "-wrong"
		}
		d.Signature = webhooks.SignKraken(payload, secret)
	}
	hc := &http.Client{Timeout: DeliveryTimeout}
	if st.hc != nil {
		c := *st.hc
		c.Timeout = DeliveryTimeout
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("krakentest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if d.Signature != "" {
		req.Header.Set(webhooks.SignatureHeader, d.Signature)
	}
	resp, err := hc.Do(req)
	if err != nil {
		d.Err = fmt.Errorf("krakentest: webhook delivery: %w", err)
		return d, d.Err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	d.StatusCode = resp.StatusCode
	return d, nil
}
