package kraken

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/kycgo/kyc"
)

// maxMessageBytes caps an iframe message a front end forwards.
const maxMessageBytes = 64 << 10

// maxTokenLen caps a one-time token (the docs' example has 43 characters).
const maxTokenLen = 512

// Redirect is the return of a KYC journey to the integrator's redirect URL:
// …/your_redirect?oneTimeToken=…
type Redirect struct {
	// OneTimeToken is exchanged with Client.Session. It is a credential:
	// Redirect's String, GoString and LogValue never show it.
	OneTimeToken string
	// State is the state parameter, when the redirect carried one (the
	// docs show none on the redirect).
	State string
	// StateChecked reports that a state came back and matched.
	StateChecked bool
}

// String shows whether a token came back, never the token.
func (r Redirect) String() string {
	return "kraken.Redirect{OneTimeToken: [redacted], StateChecked: " + strconv.FormatBool(r.StateChecked) + "}"
}

// GoString is String.
func (r Redirect) GoString() string { return r.String() }

// LogValue logs StateChecked only.
func (r Redirect) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("state_checked", r.StateChecked))
}

// ReturnOption changes how ParseRedirect and ParseMessage check a return.
type ReturnOption func(*returnSettings)

type returnSettings struct{ requireState bool }

// RequireState makes a missing state an error (ErrStateMismatch). By
// default a redirect without a state is accepted, since the documented
// redirect carries only oneTimeToken; a state that is present is always
// compared.
func RequireState() ReturnOption { return func(s *returnSettings) { s.requireState = true } }

func checkState(got, want string, present bool, rs returnSettings) (bool, error) {
	if !present {
		if rs.requireState && want != "" {
			return false, fmt.Errorf("%w: the return carries no state", ErrStateMismatch)
		}
		return false, nil
	}
	if want == "" {
		return false, nil
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return false, fmt.Errorf("%w: the state that came back is not the one sent", ErrStateMismatch)
	}
	return true, nil
}

// ParseRedirect reads the redirect that ends a KYC journey: exactly one
// non-empty oneTimeToken (else ErrMissingOneTimeToken). When the redirect
// carries a state, it is compared in constant time with wantState (an
// empty wantState skips the check); with RequireState, a missing state is
// an error too. Nothing from the request appears in the errors.
func ParseRedirect(r *http.Request, wantState string, opts ...ReturnOption) (*Redirect, error) {
	if r == nil || r.URL == nil {
		return nil, fmt.Errorf("kraken: %w: nil request", kyc.ErrInvalidArgument)
	}
	return ParseRedirectQuery(r.URL.RawQuery, wantState, opts...)
}

// ParseRedirectQuery is ParseRedirect for a raw query string.
func ParseRedirectQuery(rawQuery, wantState string, opts ...ReturnOption) (*Redirect, error) {
	var rs returnSettings
	for _, o := range opts {
		if o != nil {
			o(&rs)
		}
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: the query does not parse", ErrMissingOneTimeToken)
	}
	toks := q["oneTimeToken"]
	if len(toks) != 1 || toks[0] == "" || len(toks[0]) > maxTokenLen {
		return nil, ErrMissingOneTimeToken
	}
	states, present := q["state"]
	if present && len(states) != 1 {
		return nil, fmt.Errorf("%w: more than one state", ErrStateMismatch)
	}
	got := ""
	if present {
		got = states[0]
	}
	ok, err := checkState(got, wantState, present, rs)
	if err != nil {
		return nil, err
	}
	return &Redirect{OneTimeToken: toks[0], State: got, StateChecked: ok}, nil
}

// MessageKind says what an iframe message asks for.
type MessageKind int

const (
	// MessageDone carries a one-time token: the journey finished; exchange
	// the token with Client.Session.
	MessageDone MessageKind = iota + 1
	// MessageFailed reports a failure: "error" was set, or "response" was
	// "rejected".
	MessageFailed
	// MessageOpenWindow asks the parent page to open a window (for
	// example a document provider's page): window.open(Open, Target,
	// Features).
	MessageOpenWindow
)

// String names the kind.
func (k MessageKind) String() string {
	switch k {
	case MessageDone:
		return "done"
	case MessageFailed:
		return "failed"
	case MessageOpenWindow:
		return "open-window"
	}
	return "MessageKind(" + strconv.Itoa(int(k)) + ")"
}

// Message is one postMessage event from the Kraken iframe, as the front
// end forwarded its data. Its String, GoString and LogValue show the kind
// only: the token is a credential and the error may be free text.
type Message struct {
	// Kind says what the message asks for.
	Kind MessageKind
	// OneTimeToken is set for MessageDone.
	OneTimeToken string
	// State is the state the link was signed with, when the message has one.
	State string
	// StateChecked reports that a state came back and matched.
	StateChecked bool
	// Response is the "response" field as sent ("rejected" for a failure).
	Response string
	// Error is the "error" field as sent (any JSON), for MessageFailed.
	// Its meaning is not documented; it may be free text.
	Error json.RawMessage
	// Open, Target and Features are the window.open arguments of a
	// MessageOpenWindow.
	Open, Target, Features string
}

// Err returns a *RejectedError for a MessageFailed message, nil otherwise.
func (m *Message) Err() error {
	if m.Kind != MessageFailed {
		return nil
	}
	return &RejectedError{Response: m.Response, Raw: bytes.Clone(m.Error)}
}

// String shows the kind only.
func (m Message) String() string { return "kraken.Message{Kind: " + m.Kind.String() + "}" }

// GoString is String.
func (m Message) GoString() string { return m.String() }

// LogValue logs the kind only.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", m.Kind.String()))
}

// RejectedError is a failure reported by the KYC page. Its Error() never
// prints Raw, which may be free text.
type RejectedError struct {
	// Response is the "response" field ("rejected").
	Response string
	// Raw is the "error" field as sent.
	Raw json.RawMessage
}

// Error implements error.
func (e *RejectedError) Error() string { return "kraken: the KYC page reported a failure" }

// Is matches ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// ParseMessage reads an iframe message after checking its origin against
// the environment's MessageOrigin (see ParseMessageData for the forms).
func (e Environment) ParseMessage(origin string, data []byte, wantState string, opts ...ReturnOption) (*Message, error) {
	if err := e.CheckMessageOrigin(origin); err != nil {
		return nil, err
	}
	return ParseMessageData(data, wantState, opts...)
}

// ParseMessage is Environment.ParseMessage for the Config's environment
// (Production when the Config names none).
func (c *Config) ParseMessage(origin string, data []byte, wantState string, opts ...ReturnOption) (*Message, error) {
	return c.env().ParseMessage(origin, data, wantState, opts...)
}

// ParseMessageData reads the data of an iframe message (a JSON object, or
// a JSON string holding one). The documented forms, in the order checked:
//
//   - "error" present, or "response" equal to "rejected": MessageFailed
//     (the error is kept raw);
//   - "open" present: MessageOpenWindow, with "target" and "features";
//   - "oneTimeToken" present: MessageDone, with "state".
//
// Anything else gives a *MessageError matching ErrUnknownMessage. A state
// in the message is compared in constant time with wantState (an empty
// wantState skips the check); with RequireState a missing state is an
// error. Check the origin first (Environment.ParseMessage).
func ParseMessageData(data []byte, wantState string, opts ...ReturnOption) (*Message, error) {
	var rs returnSettings
	for _, o := range opts {
		if o != nil {
			o(&rs)
		}
	}
	if len(data) > maxMessageBytes {
		return nil, &MessageError{Reason: "message larger than 64 KiB", unknown: true}
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var inner string
		if json.Unmarshal(data, &inner) != nil {
			return nil, &MessageError{Reason: "not a JSON object", unknown: true}
		}
		data = bytes.TrimSpace([]byte(inner))
	}
	fields := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, &MessageError{Reason: "not a JSON object", unknown: true}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &MessageError{Reason: "data after the JSON object", unknown: true}
	}
	str := func(k string) (string, bool) {
		raw, ok := fields[k]
		if !ok || string(raw) == "null" {
			return "", false
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	m := &Message{}
	m.Response, _ = str("response")
	errRaw, hasErr := fields["error"]
	if hasErr && (string(errRaw) == "null" || string(errRaw) == "false" || string(errRaw) == `""`) {
		hasErr = false
	}
	state, statePresent := str("state")
	switch {
	case hasErr || m.Response == "rejected":
		m.Kind = MessageFailed
		if hasErr {
			m.Error = bytes.Clone(errRaw)
		}
	case fields["open"] != nil && string(fields["open"]) != "null":
		open, ok := str("open")
		if !ok || open == "" {
			return nil, &MessageError{Reason: "window-open request without a URL", unknown: true}
		}
		if u, err := url.Parse(open); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// Never hand a javascript: or data: URL to window.open.
			return nil, &MessageError{Reason: "window-open request for a URL that is not absolute http(s)", unknown: true}
		}
		m.Kind, m.Open = MessageOpenWindow, open
		m.Target, _ = str("target")
		m.Features, _ = str("features")
		return m, nil
	default:
		tok, ok := str("oneTimeToken")
		if !ok || tok == "" || len(tok) > maxTokenLen {
			return nil, &MessageError{Reason: "none of the documented forms", unknown: true}
		}
		m.Kind, m.OneTimeToken = MessageDone, tok
	}
	checked, err := checkState(state, wantState, statePresent, rs)
	if err != nil {
		if m.Kind == MessageFailed {
			// A failure is reported whatever its state says.
			return m, nil
		}
		return nil, err
	}
	m.State, m.StateChecked = state, checked
	return m, nil
}

// Format prints String for every verb (%v, %+v, %#v, %s, %d, …).
func (r Redirect) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// Format prints String for every verb.
func (m Message) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// Format prints Error for every verb.
func (e *RejectedError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }
