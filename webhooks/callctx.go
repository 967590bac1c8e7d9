package webhooks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callCtx is the context the handler gives its function: the request's
// context with a deadline, like context.WithTimeout, but the timer behind
// it is created only if something needs it: a call to Done (a select, a
// child context, an I/O call that watches the context), or Err or Value
// once the deadline has passed, the request's context has ended or the
// function has returned. A function that finishes without waiting on its
// context, the common case for a handler that records the event, costs one
// small allocation instead of a timer and a cancel context.
//
// Observable behaviour is that of context.WithTimeout followed by cancel
// when the function returns: Deadline is the earlier of the parent's and
// its own, Done closes at the deadline or when the parent ends, Err and
// context.Cause report DeadlineExceeded or the parent's error, and after
// the function has returned, Err is Canceled.
type callCtx struct {
	parent   context.Context
	deadline time.Time
	inner    atomic.Pointer[context.Context]
	mu       sync.Mutex
	cancel   context.CancelFunc
	ended    bool
}

func newCallCtx(parent context.Context, timeout time.Duration) *callCtx {
	d := time.Now().Add(timeout)
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return &callCtx{parent: parent, deadline: d}
}

// real returns the standard context behind c, creating it on first use.
func (c *callCtx) real() context.Context {
	if p := c.inner.Load(); p != nil {
		return *p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.inner.Load(); p != nil {
		return *p
	}
	ctx, cancel := context.WithDeadline(c.parent, c.deadline)
	c.cancel = cancel
	if c.ended {
		cancel()
	}
	c.inner.Store(&ctx)
	return ctx
}

// settled reports whether the context is done or about to be without a
// timer: the parent ended, the deadline passed or the function returned.
func (c *callCtx) settled() bool {
	c.mu.Lock()
	ended := c.ended
	c.mu.Unlock()
	return ended || c.parent.Err() != nil || !time.Now().Before(c.deadline)
}

// end is the cancel of context.WithTimeout: called when the function
// returns.
func (c *callCtx) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *callCtx) Done() <-chan struct{} { return c.real().Done() }

func (c *callCtx) Err() error {
	if p := c.inner.Load(); p != nil {
		return (*p).Err()
	}
	if c.settled() {
		return c.real().Err()
	}
	return nil
}

func (c *callCtx) Value(key any) any {
	if p := c.inner.Load(); p != nil {
		return (*p).Value(key)
	}
	if c.settled() {
		// So that context.Cause finds the cause of this context.
		return c.real().Value(key)
	}
	return c.parent.Value(key)
}

func (c *callCtx) String() string {
	return "webhooks.handlerContext(deadline " + c.deadline.Format(time.RFC3339Nano) + ")"
}
