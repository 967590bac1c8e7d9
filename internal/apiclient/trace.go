package apiclient

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/kycgo/kyc"
)

// TracerName is the instrumentation scope of every span the clients make.
const TracerName = "github.com/kycgo/kyc"

// Span attributes. Only these are ever set, and none holds a token, a
// secret, a body, a query, a real path (which may carry a user ID) or any
// other personal data: the route is the call's path template.
const (
	attrMethod      = "http.request.method"
	attrRoute       = "url.template"
	attrHost        = "server.address"
	attrStatus      = "http.response.status_code"
	attrResendCount = "http.request.resend_count"
	attrErrorType   = "error.type"
	attrAttempt     = "kyc.attempt"
	attrAttempts    = "kyc.attempts"
	attrRetryReason = "kyc.retry_reason"
	attrRequestID   = "kyc.request_id"
)

// startCall starts the span of one call, named after the operation.
func (c *Client) startCall(ctx context.Context, req *Request) (context.Context, trace.Span) {
	name := req.Operation
	if name == "" {
		name = "kyc.call"
	}
	return c.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
}

// endCall ends a call span with the call's outcome.
func endCall(span trace.Span, st *callState, meta *Response, err error) {
	if st != nil {
		span.SetAttributes(attribute.Int(attrAttempts, st.attempts))
	}
	if meta != nil {
		span.SetAttributes(attribute.Int(attrStatus, meta.StatusCode))
		if meta.RequestID != "" {
			span.SetAttributes(attribute.String(attrRequestID, meta.RequestID))
		}
	}
	if err != nil {
		kind := errorType(err)
		span.SetAttributes(attribute.String(attrErrorType, kind))
		// The description is the error's kind, never Error(): an error
		// message names the path, which may hold a user ID.
		span.SetStatus(codes.Error, kind)
	}
	span.End()
}

// errorType classifies an error for the error.type attribute.
func errorType(err error) string {
	var ae *kyc.APIError
	var te *kyc.TransportError
	var de *kyc.DecodeError
	var se *kyc.SizeError
	var re *kyc.ReauthorizationRequiredError
	var tk *kyc.TokenError
	switch {
	case errors.As(err, &ae):
		return strconv.Itoa(ae.StatusCode)
	case errors.As(err, &re):
		return "reauthorization_required"
	case errors.As(err, &tk):
		return "token"
	case errors.As(err, &se):
		return "response_too_large"
	case errors.As(err, &de):
		return "decode"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &te):
		if te.Timeout() {
			return "timeout"
		}
		return "transport"
	case errors.Is(err, kyc.ErrInvalidArgument):
		return "invalid_argument"
	}
	return "other"
}

// startAttempt starts the span of one HTTP attempt, a child of the call's.
func startAttempt(tr trace.Tracer, req *http.Request, st *callState, attempt int) trace.Span {
	route := ""
	if st != nil {
		route = st.route
	}
	name := req.Method
	if route != "" {
		name += " " + route
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs,
		attribute.String(attrMethod, req.Method),
		attribute.String(attrHost, req.URL.Hostname()),
		attribute.Int(attrAttempt, attempt),
	)
	if route != "" {
		attrs = append(attrs, attribute.String(attrRoute, route))
	}
	if attempt > 1 {
		attrs = append(attrs, attribute.Int(attrResendCount, attempt-1))
		if st != nil && st.reason != "" {
			attrs = append(attrs, attribute.String(attrRetryReason, st.reason))
		}
	}
	_, span := tr.Start(req.Context(), name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return span
}

// endAttempt ends an attempt span with its status code or error kind.
func endAttempt(span trace.Span, resp *http.Response, err error) {
	switch {
	case err != nil:
		kind := "transport"
		var t interface{ Timeout() bool }
		if errors.Is(err, context.Canceled) {
			kind = "canceled"
		} else if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout()) {
			kind = "timeout"
		}
		span.SetAttributes(attribute.String(attrErrorType, kind))
		span.SetStatus(codes.Error, kind)
	case resp != nil:
		span.SetAttributes(attribute.Int(attrStatus, resp.StatusCode))
		if id := requestID(resp.Header); id != "" {
			span.SetAttributes(attribute.String(attrRequestID, id))
		}
		if resp.StatusCode >= 400 {
			code := strconv.Itoa(resp.StatusCode)
			span.SetAttributes(attribute.String(attrErrorType, code))
			span.SetStatus(codes.Error, code)
		}
	}
	span.End()
}

// tracedBody ends the call span of a streamed reply when it is closed.
type tracedBody struct {
	*limitedBody
	span trace.Span
	st   *callState
	meta *Response
	done bool
}

func (b *tracedBody) Close() error {
	err := b.limitedBody.Close()
	if !b.done {
		b.done = true
		var rerr error
		if b.exceeded {
			rerr = kyc.ErrResponseTooLarge
		}
		endCall(b.span, b.st, b.meta, rerr)
	}
	return err
}
