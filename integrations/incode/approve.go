package incode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/kycgo/kyc/option"
)

// Approval is the reply of Approve. Its String and LogValue print the
// customer id and the flags only.
type Approval struct {
	// Success is Incode's "success".
	Success bool
	// UUID is the customer id: save it to link your user with Incode's.
	// When ExistingCustomer is true it is the id of the customer that
	// already existed.
	UUID string
	// Token is a long-lived customer token (about 90 days) that can make
	// calls in the name of the person: a credential.
	Token Secret
	// TotalScore is the score's verdict as Incode reports it ("OK").
	TotalScore ScoreStatus
	// ExistingCustomer reports that the person was already a customer.
	ExistingCustomer bool
	// Raw is the reply without its "token" member (which is in Token), so
	// marshalling an Approval never writes the token: as received when
	// there is no token, else re-encoded (members in name order, no
	// spaces).
	Raw json.RawMessage
}

// String prints the customer id and the flags only.
func (a Approval) String() string {
	return fmt.Sprintf("incode.Approval{Success: %t, UUID: %s, TotalScore: %s, ExistingCustomer: %t}", a.Success, a.UUID, a.TotalScore, a.ExistingCustomer)
}

// GoString is String.
func (a Approval) GoString() string { return a.String() }

// Format prints String for every verb.
func (a Approval) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// LogValue logs the customer id and the flags only.
func (a Approval) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("success", a.Success), slog.String("uuid", a.UUID),
		slog.String("total_score", string(a.TotalScore)), slog.Bool("existing_customer", a.ExistingCustomer))
}

// ParseApproval decodes an approve reply. It fails when body is not a JSON
// object or holds neither success nor uuid; the token is kept as a Secret.
func ParseApproval(body []byte) (*Approval, error) {
	m, err := object(body)
	if err != nil {
		return nil, err
	}
	if m["success"] == nil && m["uuid"] == nil {
		return nil, errors.New("reply has neither success nor uuid")
	}
	a := &Approval{
		Success:          lenientBool(m["success"]),
		UUID:             clip(lenientString(m["uuid"])),
		TotalScore:       ScoreStatus(clip(lenientString(m["totalScore"]))),
		ExistingCustomer: lenientBool(m["existingCustomer"]),
		Raw:              json.RawMessage(bytes.Clone(body)),
	}
	if _, ok := m["token"]; ok {
		if tok := lenientString(m["token"]); tok != "" {
			a.Token = NewSecret(tok)
		}
		delete(m, "token")
		raw, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		a.Raw = raw
	}
	if a.Success && a.UUID == "" {
		return nil, errors.New("reply says success but has no uuid")
	}
	return a, nil
}

// Approve turns a finished session into a customer
// (POST /omni/process/approve?interviewId= with the executive token and
// the API key, body {}). Incode's samples approve only when the score's
// overall status is OK: call Decide first.
//
// It is not idempotent and is sent at most once: it is not retried after
// it may have reached the server (a timeout, a reset, a 5xx, even a 401),
// whatever the retry policy; it is retried only when it never left the
// machine. After such a failure, find out whether the customer exists (the
// Dashboard, or Score's faceRecognition.existingUser) before calling it
// again; a second approval of the same person reports ExistingCustomer.
//
// With a session token (BySessionToken) the call is the form known only
// from third-party code (experimental).
func (c *Client) Approve(ctx context.Context, t Target, opts ...option.CallOption) (*Approval, error) {
	var raw json.RawMessage
	rt := route{method: http.MethodPost, path: ApprovePath, idParam: "interviewId", once: true, op: "Approve"}
	resp, err := c.call(ctx, rt, t, url.Values{}, struct{}{}, &raw, opts)
	if err != nil {
		return nil, err
	}
	a, err := ParseApproval(raw)
	if err != nil {
		return nil, decodeFailure(http.MethodPost, ApprovePath, resp, err)
	}
	return a, nil
}
