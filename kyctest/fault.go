package kyctest

import (
	"fmt"
	"strconv"
	"time"
)

// FaultKind says what a fault does to a request.
type FaultKind int

// Fault kinds.
const (
	// FaultNone marks a request that ran normally (request log only).
	FaultNone FaultKind = iota
	// FaultStatus answers Status (default 503) with an optional Retry-After
	// header and an optional Body (Content-Type from ContentType, default
	// application/json when Body is set). The fake's handler does not run.
	FaultStatus
	// FaultHTMLError answers Status (default 502) with an HTML error page,
	// as a proxy or load balancer in front of the API would. Body replaces
	// the default page. The fake's handler does not run.
	FaultHTMLError
	// FaultHang waits Delay (forever when 0) before running the fake's
	// handler normally. If the client gives up (or the server closes) first,
	// the handler never runs: no state changes.
	FaultHang
	// FaultResetBeforeRead resets the connection (TCP RST, SO_LINGER 0)
	// before the request body is read. The handler does not run.
	FaultResetBeforeRead
	// FaultResetAfterRead reads the whole request, runs the fake's handler
	// (its state changes happen) and then resets the connection instead of
	// replying: the request reached the server but the reply was lost.
	FaultResetAfterRead
	// FaultTruncate runs the fake's handler, then sends its status, its
	// headers and half of its body with a Content-Length that promises the
	// whole body, and closes the connection.
	FaultTruncate
	// FaultOversize answers 200 (or Status) with a valid JSON array of
	// exactly Size bytes (default 16 MiB), streamed without being held in
	// memory. Its elements are Body (default {"id":"oversize"}). The fake's
	// handler does not run.
	FaultOversize
)

var faultNames = [...]string{"none", "status", "html-error", "hang", "reset-before-read", "reset-after-read", "truncate", "oversize"}

// String names the kind ("status", "reset-after-read", ...).
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// DefaultOversize is the body size of a FaultOversize without a Size.
const DefaultOversize = 16 << 20

// Fault describes how the next matching requests fail.
type Fault struct {
	// Kind is what happens.
	Kind FaultKind
	// Status is the HTTP status for FaultStatus (default 503),
	// FaultHTMLError (default 502) and FaultOversize (default 200).
	Status int
	// RetryAfter, when set, is sent as the Retry-After header (FaultStatus,
	// FaultHTMLError), verbatim: "2" or an HTTP date.
	RetryAfter string
	// Body is the reply body for FaultStatus and FaultHTMLError, and the
	// repeated array element for FaultOversize.
	Body string
	// ContentType overrides the reply's Content-Type.
	ContentType string
	// Delay is how long FaultHang waits (0 = until the client gives up).
	Delay time.Duration
	// Times is how many matching requests get the fault (default 1).
	Times int
	// Size is the body size of FaultOversize (default DefaultOversize).
	Size int64
}

// String describes the fault.
func (f Fault) String() string {
	return fmt.Sprintf("%s status=%d times=%d", f.Kind, f.Status, f.Times)
}
