package kyc

import "net/http"

// Response is the metadata of one call's HTTP reply: ask for it with
// option.WithResponseInto. It is filled when a reply arrived, successful
// or not (an error then carries the same facts); it stays zero when no
// reply arrived (a transport error, a canceled context, an invalid
// argument refused before sending).
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
