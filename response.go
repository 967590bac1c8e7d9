package kyc

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// Response is the metadata of one call's HTTP reply: ask for it with
// option.WithResponseInto. It is filled when a reply arrived, successful
// or not (an error then carries the same facts); it is left as it was
// (zero, for a new one) when no reply arrived (a transport error, a
// canceled context, an invalid argument refused before sending).
type Response struct {
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Header is the reply's header. Treat it as possibly sensitive: a
	// server may echo what it was sent.
	Header http.Header
	// RequestID is the server's request ID (X-Request-Id, Request-Id or
	// X-Correlation-Id, at most 128 bytes), for a support ticket; empty
	// when the server sent none.
	RequestID string
	// Attempts is the number of HTTP attempts the call took (retries and a
	// resend with a renewed token included).
	Attempts int
}

// String prints the status, the request ID and the attempts, never the
// header (a reply's Set-Cookie, say, or what a server echoes).
func (r Response) String() string {
	return "kyc.Response{StatusCode: " + strconv.Itoa(r.StatusCode) + ", RequestID: " + strconv.Quote(r.RequestID) +
		", Attempts: " + strconv.Itoa(r.Attempts) + "}"
}

// GoString is String, so %#v never prints the header either.
func (r Response) GoString() string { return r.String() }

// Format prints String for every verb.
func (r Response) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue logs the status, the request ID and the attempts only.
func (r Response) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("status", r.StatusCode), slog.String("request_id", r.RequestID), slog.Int("attempts", r.Attempts))
}
