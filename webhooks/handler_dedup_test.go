package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// stalledDedup is a Deduplicator on a store that stops answering: the
// methods named in stall block until their context ends. It records how
// long each call waited and whether its context was already done when it
// was called.
type stalledDedup struct {
	stall map[string]bool

	mu     sync.Mutex
	waited map[string]time.Duration
	doneAt map[string]bool // context already done on entry
}

func newStalledDedup(methods ...string) *stalledDedup {
	d := &stalledDedup{stall: map[string]bool{}, waited: map[string]time.Duration{}, doneAt: map[string]bool{}}
	for _, m := range methods {
		d.stall[m] = true
	}
	return d
}

func (d *stalledDedup) call(ctx context.Context, method string) error {
	d.mu.Lock()
	d.doneAt[method] = ctx.Err() != nil
	d.mu.Unlock()
	if !d.stall[method] {
		return nil
	}
	start := time.Now()
	<-ctx.Done()
	d.mu.Lock()
	d.waited[method] = time.Since(start)
	d.mu.Unlock()
	return ctx.Err()
}

func (d *stalledDedup) Claim(ctx context.Context, _ string) (bool, error) {
	return true, d.call(ctx, "claim")
}
func (d *stalledDedup) Complete(ctx context.Context, _ string) error { return d.call(ctx, "complete") }
func (d *stalledDedup) Release(ctx context.Context, _ string) error  { return d.call(ctx, "release") }

func (d *stalledDedup) waitedFor(method string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.waited[method]
}

// A Complete on a store that stopped answering returns at the dedup
// timeout, and the processed notification is answered 200 (as for any
// Complete failure), even when the sender has hung up meanwhile.
func TestHandlerBoundsStalledComplete(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []webhooks.HandlerOption
		want time.Duration
	}{
		{"default", nil, webhooks.DefaultDedupTimeout},
		{"option", []webhooks.HandlerOption{webhooks.WithDedupTimeout(1500 * time.Millisecond)}, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
				dd := newStalledDedup("complete")
				req := signedRequest(http.MethodPost, docApproved, hookSecret)
				reqCtx, hangUp := context.WithCancel(req.Context())
				defer hangUp()
				req = req.WithContext(reqCtx)
				h := webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error {
					hangUp() // the sender hangs up while the function runs
					return nil
				}, append([]webhooks.HandlerOption{webhooks.WithDeduplicator(dd)}, tc.opts...)...)
				start := time.Now()
				res := serve(h, req)
				if took := time.Since(start); took != tc.want {
					t.Errorf("handler returned after %v, want %v", took, tc.want)
				}
				if res.Code != http.StatusOK {
					t.Errorf("status %d after the function succeeded, want 200", res.Code)
				}
				if dd.waitedFor("complete") != tc.want {
					t.Errorf("Complete waited %v, want %v", dd.waitedFor("complete"), tc.want)
				}
				if dd.doneAt["complete"] {
					t.Error("Complete was called with the hung-up request's context")
				}
			})
		})
	}
}

// A Release on a store that stopped answering returns at the dedup
// timeout; the failed notification is still answered 500.
func TestHandlerBoundsStalledRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
		dd := newStalledDedup("release")
		h := webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error {
			return errors.New("temporary")
		}, webhooks.WithDeduplicator(dd))
		start := time.Now()
		if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != http.StatusInternalServerError {
			t.Errorf("failed function: status %d, want 500", res.Code)
		}
		if took := time.Since(start); took != webhooks.DefaultDedupTimeout {
			t.Errorf("handler returned after %v, want %v", took, webhooks.DefaultDedupTimeout)
		}
	})
}

// A Claim on a store that stopped answering returns at the dedup timeout
// with a 500, so that Fractal retries, and the function is not called.
func TestHandlerBoundsStalledClaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
		dd := newStalledDedup("claim")
		var rec recorder
		h := webhooks.NewHandler(v, rec.fn, webhooks.WithDeduplicator(dd), webhooks.WithDedupTimeout(time.Second))
		start := time.Now()
		if res := serve(h, signedRequest(http.MethodPost, docApproved, hookSecret)); res.Code != http.StatusInternalServerError {
			t.Errorf("stalled claim: status %d, want 500", res.Code)
		}
		if took := time.Since(start); took != time.Second {
			t.Errorf("handler returned after %v, want 1s", took)
		}
		if rec.calls.Load() != 0 {
			t.Error("the function ran without a claim")
		}
	})
}

func TestWithDedupTimeoutChecksItsArgument(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets("s"))
	defer func() {
		if recover() == nil {
			t.Error("WithDedupTimeout(0) accepted")
		}
	}()
	webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error { return nil }, webhooks.WithDedupTimeout(0))
}
