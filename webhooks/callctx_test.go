package webhooks

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

// TestCallCtxBehavesLikeWithTimeout compares the handler's lazy deadline
// context with context.WithTimeout followed by cancel.
func TestCallCtxBehavesLikeWithTimeout(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")

	// Before the deadline: no error, the parent's values, a deadline.
	c := newCallCtx(parent, time.Hour)
	if c.Err() != nil || context.Cause(c) != nil || c.Value(ctxKey{}) != "v" {
		t.Fatalf("fresh: %v %v %v", c.Err(), context.Cause(c), c.Value(ctxKey{}))
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if c.inner.Load() != nil {
		t.Fatal("the timer was created without need")
	}
	// After the function returns: Canceled, Done closed.
	c.end()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("after end: %v", c.Err())
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done open after end")
	}

	// The deadline passes: Done closes, DeadlineExceeded, Cause too.
	c = newCallCtx(parent, 20*time.Millisecond)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done never closed")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(c), context.DeadlineExceeded) {
		t.Fatalf("after deadline: %v %v", c.Err(), context.Cause(c))
	}
	c.end()

	// Past the deadline without anyone waiting: Err and Cause see it.
	c = newCallCtx(parent, time.Nanosecond)
	time.Sleep(time.Millisecond)
	if !errors.Is(context.Cause(c), context.DeadlineExceeded) || !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("lazy deadline: %v %v", c.Err(), context.Cause(c))
	}
	c.end()

	// The parent ends: its error and cause come through, to children too.
	cause := errors.New("client went away")
	p, cancel := context.WithCancelCause(parent)
	c = newCallCtx(p, time.Hour)
	child, stop := context.WithCancel(c)
	defer stop()
	cancel(cause)
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("child not cancelled with the parent")
	}
	if !errors.Is(c.Err(), context.Canceled) || !errors.Is(context.Cause(c), cause) {
		t.Fatalf("parent ended: %v %v", c.Err(), context.Cause(c))
	}
	c.end()

	// An earlier parent deadline wins.
	p2, cancel2 := context.WithTimeout(parent, time.Minute)
	defer cancel2()
	pd, _ := p2.Deadline()
	if d, _ := newCallCtx(p2, time.Hour).Deadline(); !d.Equal(pd) {
		t.Fatalf("deadline %v, parent's %v", d, pd)
	}
}
