package kraken

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/internal/logvalue"
	"github.com/kycgo/kyc/option"
)

// KYCState is the state of a user's KYC: "approved", "pending" or
// "rejected". Other values are kept as sent.
type KYCState string

// The documented states.
const (
	StateApproved KYCState = "approved"
	StatePending  KYCState = "pending"
	StateRejected KYCState = "rejected"
)

// Final reports whether the state is approved or rejected.
func (s KYCState) Final() bool { return s == StateApproved || s == StateRejected }

// Session is the reply of the one-time-token exchange.
type Session struct {
	// UserID is the Kraken user id: the key of Status, Data and File and
	// the "id" of the webhooks.
	UserID string `json:"userId"`
	// State is the user's KYC state.
	State KYCState `json:"state"`
	// ExternalState is "externalState" as sent (any JSON; its meaning is
	// not documented), nil when absent.
	ExternalState json.RawMessage `json:"externalState,omitempty"`
}

// Session exchanges the one-time token of a redirect or an iframe message
// for the user id and KYC state: GET /public/kyc/token/{oneTimeToken}
// (documented). Whether the token is single-use, and its lifetime, are not
// documented; a used or unknown token is expected to give an error
// matching kyc.ErrNotFound. A value that cannot be a one-time token (fewer
// than 16 or more than 512 characters, or characters other than letters,
// digits, '-', '.', '_' and '~') is refused with kyc.ErrInvalidArgument before
// any request. The token never appears in errors or logs.
func (c *Client) Session(ctx context.Context, oneTimeToken string, opts ...option.CallOption) (*Session, error) {
	call, err := apiclient.Call("kraken", opts)
	if err != nil {
		return nil, err
	}
	if err := checkOneTimeToken(oneTimeToken); err != nil {
		return nil, err
	}
	path, err := apiclient.JoinPath("public", "kyc", "token", oneTimeToken)
	if err != nil {
		return nil, err
	}
	var s Session
	req := &apiclient.Request{Method: http.MethodGet, Path: path, ShownPath: redactedSessionPath, Operation: "kraken.Session", Route: sessionPrefix + "{oneTimeToken}", Call: call}
	if _, err := c.api.Do(ctx, req, &s); err != nil {
		return nil, scrub(err, oneTimeToken)
	}
	if s.UserID == "" {
		return nil, &kyc.DecodeError{Method: http.MethodGet, Path: redactedSessionPath, StatusCode: http.StatusOK, Err: errors.New("reply has no userId")}
	}
	return &s, nil
}

// minTokenLen is the shortest one-time token Session sends.
const minTokenLen = 16

// checkOneTimeToken refuses, before any request, a value that cannot be a
// one-time token. Its format is not documented: the docs' one example
// ("MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr-Cskq3Jevso") is 43 characters of
// base64url, 32 random bytes. So a token must have 16 to 512 characters
// (16 is far below the example and rules out words like "GET" or "kyc",
// which a caller passing the wrong variable would send and which the
// error text itself contains, so they could not be kept out of it) and
// only RFC 3986 unreserved characters (letters, digits, '-', '.', '_',
// '~'): base64url and hex fit, and such a token goes into the path and a
// redirect's query unchanged. The refusal never quotes the value.
func checkOneTimeToken(tok string) error {
	if len(tok) < minTokenLen || len(tok) > maxTokenLen {
		return fmt.Errorf("kraken: %w: a one-time token has %d to %d characters, this one %d", kyc.ErrInvalidArgument, minTokenLen, maxTokenLen, len(tok))
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return fmt.Errorf("kraken: %w: a one-time token has letters, digits, '-', '.', '_' and '~' only", kyc.ErrInvalidArgument)
		}
	}
	return nil
}

// Status is the reply of GET /public/kyc/{userId}/status.
type Status struct {
	// Status is the user's KYC state.
	Status KYCState `json:"status"`
	// Raw is the whole reply as sent.
	Raw json.RawMessage `json:"-"`
}

// Status returns the user's KYC state: GET /public/kyc/{userId}/status.
//
// Experimental: this endpoint is known from integrators' code only (they
// poll it every few seconds while the state is pending), not from
// Fractal's docs; its path and reply may differ.
func (c *Client) Status(ctx context.Context, userID string, opts ...option.CallOption) (*Status, error) {
	call, err := apiclient.Call("kraken", opts)
	if err != nil {
		return nil, err
	}
	path, err := userPath(userID, "status")
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	req := &apiclient.Request{Method: http.MethodGet, Path: path, Operation: "kraken.Status", Route: "/public/kyc/{userId}/status", Call: call}
	if _, err := c.api.Do(ctx, req, &raw); err != nil {
		return nil, err
	}
	st := &Status{}
	if err := json.Unmarshal(raw, st); err != nil || st.Status == "" {
		return nil, &kyc.DecodeError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: errors.New("reply has no status string")}
	}
	st.Raw = raw
	return st, nil
}

func userPath(userID string, rest ...string) (string, error) {
	if err := checkToken("user ID", userID); err != nil {
		return "", err
	}
	return apiclient.JoinPath(append([]string{"public", "kyc", userID}, rest...)...)
}

// Data is the reply of GET /public/kyc/{userId}/data: the fields
// integrators read are typed, the whole reply is in Raw. It holds personal
// data: String, GoString, LogValue and every fmt verb show only whether
// the review is green.
type Data struct {
	// Info holds the person's and documents' data.
	Info DataInfo `json:"info"`
	// Review holds the review's level and answer.
	Review DataReview `json:"review"`
	// Agreement holds when the user accepted the terms.
	Agreement DataAgreement `json:"agreement"`
	// Email and Phone are the contact data, when shared.
	Email string `json:"email"`
	Phone string `json:"phone"`
	// Raw is the whole reply as sent.
	Raw json.RawMessage `json:"-"`
}

// DataInfo is the "info" object of Data. It is personal data: String,
// GoString, Format (every verb) and LogValue print how many documents it
// holds, nothing else. Read the fields to get the data.
type DataInfo struct {
	FirstNameEn  string `json:"firstNameEn"`
	LastNameEn   string `json:"lastNameEn"`
	DOB          string `json:"dob"`
	PlaceOfBirth string `json:"placeOfBirth"`
	// Nationality is an ISO 3166-1 alpha-3 code.
	Nationality string `json:"nationality"`
	// IDDocs are the identity documents.
	IDDocs IDDocs `json:"idDocs"`
}

// String shows how many documents the info holds, no personal data.
func (i DataInfo) String() string {
	return "kraken.DataInfo{IDDocs: " + strconv.Itoa(len(i.IDDocs)) + ", personal data: [redacted]}"
}

// GoString is String.
func (i DataInfo) GoString() string { return i.String() }

// Format prints String for every verb.
func (i DataInfo) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, i.String()) }

// LogValue logs how many documents the info holds.
func (i DataInfo) LogValue() slog.Value { return slog.GroupValue(slog.Int("id_docs", len(i.IDDocs))) }

// IDDoc is one identity document of DataInfo. Its number and dates are
// personal data: String, GoString, Format (every verb) and LogValue print
// the document type and issuing country only.
type IDDoc struct {
	// Country is an ISO 3166-1 alpha-3 code.
	Country    string `json:"country"`
	Number     string `json:"number"`
	IDDocType  string `json:"idDocType"`
	IssuedDate string `json:"issuedDate"`
	ValidUntil string `json:"validUntil"`
}

// String shows the document type and issuing country only.
func (d IDDoc) String() string {
	return "kraken.IDDoc{Type: " + strconv.Quote(d.IDDocType) + ", Country: " + strconv.Quote(d.Country) + ", personal data: [redacted]}"
}

// GoString is String.
func (d IDDoc) GoString() string { return d.String() }

// Format prints String for every verb.
func (d IDDoc) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, d.String()) }

// LogValue logs the document type and issuing country only.
func (d IDDoc) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", d.IDDocType), slog.String("country", d.Country))
}

// IDDocs is the documents of DataInfo. Printed or logged whole (fmt, slog
// text or JSON), it shows each document's String.
type IDDocs []IDDoc

// LogValue logs each document's String.
func (d IDDocs) LogValue() slog.Value { return logvalue.Slice(d) }

// DataReview is the "review" object of Data.
type DataReview struct {
	LevelName    string `json:"levelName"`
	ReviewResult struct {
		// ReviewAnswer is "GREEN" for a pass; other values are kept.
		ReviewAnswer string `json:"reviewAnswer"`
	} `json:"reviewResult"`
}

// DataAgreement is the "agreement" object of Data.
type DataAgreement struct {
	AcceptedAt string `json:"acceptedAt"`
}

// Green reports whether the review answer is "GREEN" (integrators read it
// as approved).
func (d Data) Green() bool { return d.Review.ReviewResult.ReviewAnswer == "GREEN" }

// String shows the level and review answer only, never personal data.
func (d Data) String() string {
	return "kraken.Data{Level: " + d.Review.LevelName + ", ReviewAnswer: " + d.Review.ReviewResult.ReviewAnswer + ", personal data: [redacted]}"
}

// GoString is String.
func (d Data) GoString() string { return d.String() }

// Format prints String for every verb.
func (d Data) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, d.String()) }

// LogValue logs the level and review answer only.
func (d Data) LogValue() slog.Value {
	return slog.GroupValue(slog.String("level", d.Review.LevelName), slog.String("review_answer", d.Review.ReviewResult.ReviewAnswer))
}

// Data returns the user's KYC data: GET /public/kyc/{userId}/data.
//
// Experimental: this endpoint is known from integrators' code only (a
// Sumsub-style applicant), not from Fractal's docs, whose API reference
// lists it only as PublicKycController_getData; its path and fields may
// differ. Fields of another type than expected are left empty rather than
// failing; Raw always holds the whole reply.
func (c *Client) Data(ctx context.Context, userID string, opts ...option.CallOption) (*Data, error) {
	call, err := apiclient.Call("kraken", opts)
	if err != nil {
		return nil, err
	}
	path, err := userPath(userID, "data")
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	req := &apiclient.Request{Method: http.MethodGet, Path: path, Operation: "kraken.Data", Route: "/public/kyc/{userId}/data", Call: call}
	if _, err := c.api.Do(ctx, req, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, &kyc.DecodeError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: errors.New("reply is not a JSON object")}
	}
	d := &Data{Raw: raw}
	decodeLenient(raw, d)
	return d, nil
}

// decodeLenient fills the fields of d that have the expected types,
// skipping the others.
func decodeLenient(raw json.RawMessage, d *Data) {
	if json.Unmarshal(raw, d) == nil {
		return
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(raw, &top)
	*d = Data{Raw: raw}
	_ = json.Unmarshal(top["email"], &d.Email)
	_ = json.Unmarshal(top["phone"], &d.Phone)
	_ = json.Unmarshal(top["agreement"], &d.Agreement)
	_ = json.Unmarshal(top["review"], &d.Review)
	var info map[string]json.RawMessage
	if json.Unmarshal(top["info"], &info) == nil {
		for k, dst := range map[string]*string{"firstNameEn": &d.Info.FirstNameEn, "lastNameEn": &d.Info.LastNameEn, "dob": &d.Info.DOB, "placeOfBirth": &d.Info.PlaceOfBirth, "nationality": &d.Info.Nationality} {
			_ = json.Unmarshal(info[k], dst)
		}
		var docs []json.RawMessage
		if json.Unmarshal(info["idDocs"], &docs) == nil {
			for _, r := range docs {
				var doc IDDoc
				if json.Unmarshal(r, &doc) != nil {
					var m map[string]json.RawMessage
					_ = json.Unmarshal(r, &m)
					for k, dst := range map[string]*string{"country": &doc.Country, "number": &doc.Number, "idDocType": &doc.IDDocType, "issuedDate": &doc.IssuedDate, "validUntil": &doc.ValidUntil} {
						_ = json.Unmarshal(m[k], dst)
					}
				}
				d.Info.IDDocs = append(d.Info.IDDocs, doc)
			}
		}
	}
}

// FileKind names a document image of File.
type FileKind string

// The file kinds integrators request. Other values are passed as given.
const (
	FileIDFront          FileKind = "idFront"
	FileIDBack           FileKind = "idBack"
	FileSelfie           FileKind = "selfie"
	FileProofOfResidence FileKind = "proofOfResidence"
)

// File streams one of the user's document images into w and returns the
// number of bytes written: GET /public/kyc/{userId}/file/{kind}. The body
// is capped (WithMaxFileBytes, default 50 MiB): beyond the cap it stops
// with an error matching kyc.ErrResponseTooLarge, after writing the bytes up
// to the cap. Each attempt, body included, is bounded by option.WithTimeout
// (default 30s): raise it for one call with
// c.File(ctx, id, kind, w, option.WithTimeout(5*time.Minute)).
//
// Experimental: this endpoint is known from integrators' code only, not
// from Fractal's docs (which list PublicKycController_getFile only).
func (c *Client) File(ctx context.Context, userID string, kind FileKind, w io.Writer, opts ...option.CallOption) (int64, error) {
	call, err := apiclient.Call("kraken", opts)
	if err != nil {
		return 0, err
	}
	if w == nil {
		return 0, fmt.Errorf("kraken: %w: nil writer", kyc.ErrInvalidArgument)
	}
	if err := checkToken("file kind", string(kind)); err != nil {
		return 0, err
	}
	path, err := userPath(userID, "file", string(kind))
	if err != nil {
		return 0, err
	}
	resp, err := c.api.Stream(ctx, &apiclient.Request{
		Method: http.MethodGet, Path: path, Header: http.Header{"Accept": {"*/*"}},
		Operation: "kraken.File", Route: "/public/kyc/{userId}/file/{kind}", Call: call,
	}, c.maxFileBytes)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		if errors.Is(err, kyc.ErrResponseTooLarge) {
			return n, &kyc.SizeError{Method: http.MethodGet, Path: path, Limit: c.maxFileBytes}
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return n, fmt.Errorf("kraken: file %s: %w", kind, ctxErr)
		}
		return n, fmt.Errorf("kraken: file %s: %w", kind, err)
	}
	return n, nil
}

// scrub removes secret from an error the core returned for a call whose
// path holds it. The core already names the call by its ShownPath in
// errors and log lines; scrub covers what it cannot know: the server's
// own words echoing the token (a *kyc.APIError's Message and Body), and,
// as a last guard, any path or URL in the chain that still holds it. They
// are redacted in place (the errors were made for this call). Should the text still hold the
// secret, the error is wrapped: Error, every fmt verb and slog show the
// text with the secret replaced, while errors.Is and errors.As still reach
// the typed errors and sentinels of the chain.
func scrub(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	redactChain(err, secret)
	msg := err.Error()
	if !strings.Contains(msg, secret) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(msg, secret, "[redacted]"), err: err}
}

// redactChain redacts the session path in each error of err's tree.
func redactChain(err error, secret string) {
	for err != nil {
		switch e := err.(type) { //nolint:errorlint // the loop walks the chain one error at a time
		case *kyc.APIError:
			e.Path = redactPath(e.Path)
			e.Message = strings.ReplaceAll(e.Message, secret, "[redacted]")
			e.Body = bytes.ReplaceAll(e.Body, []byte(secret), []byte("[redacted]"))
		case *kyc.DecodeError:
			e.Path = redactPath(e.Path)
		case *kyc.SizeError:
			e.Path = redactPath(e.Path)
		case *kyc.TransportError:
			e.Path = redactPath(e.Path)
		case *kyc.RedirectError:
			e.Path = redactPath(e.Path)
		case *url.Error:
			e.URL = redactPath(e.URL)
		}
		switch u := err.(type) { //nolint:errorlint // idem
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				redactChain(e, secret)
			}
			return
		default:
			return
		}
	}
}

// scrubbedError shows an error's text without the secret and unwraps to
// the error itself.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string    { return e.msg }
func (e *scrubbedError) Unwrap() error    { return e.err }
func (e *scrubbedError) GoString() string { return e.msg }

// Format prints the scrubbed text for every verb, %#v included.
func (e *scrubbedError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.msg) }

// LogValue logs the scrubbed text.
func (e *scrubbedError) LogValue() slog.Value { return slog.StringValue(e.msg) }
