// Package deduptest checks a webhooks.Deduplicator the way replicas use it:
// through webhooks.NewHandler, with signed deliveries, concurrently. The
// store modules run it against real Redis and PostgreSQL servers.
package deduptest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// Secret is the webhook secret the deliveries are signed with.
const Secret = "deduptest-webhook-secret"

// Payload returns the body of distinct event i.
func Payload(i int) []byte {
	return fmt.Appendf(nil, `{"type":"verification_approved","data":{"level":"basic","user_id":"00000000-0000-4000-8000-%012d","timestamp":"2020-10-09T10:50:32Z"}}`, i)
}

// Key returns the deduplication key of distinct event i.
func Key(tb testing.TB, i int) string {
	tb.Helper()
	ev, err := webhooks.Parse(Payload(i))
	if err != nil {
		tb.Fatal(err)
	}
	return ev.DedupKey()
}

func verifier(tb testing.TB) *webhooks.Verifier {
	v, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets(Secret))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func deliver(h http.Handler, body []byte) int {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set(webhooks.SignatureHeader, webhooks.Sign(body, Secret))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// Result is what Shared measured.
type Result struct {
	Deliveries int           // deliveries made
	Runs       int           // times the function ran
	Per        []int         // runs per distinct event
	Answered   map[int]int   // HTTP status -> count
	Elapsed    time.Duration // wall time of the deliveries
}

// Shared delivers events distinct events, each times times, spread over
// two handlers (one per deduplicator, as two replicas would have),
// concurrently, and checks that the function ran exactly once per event
// and that every delivery was answered 200.
func Shared(tb testing.TB, a, b webhooks.Deduplicator, events, times int) Result {
	tb.Helper()
	v := verifier(tb)
	runs := make([]atomic.Int32, events)
	var total atomic.Int32
	fn := func(_ context.Context, ev *webhooks.Event) error {
		var i int
		if _, err := fmt.Sscanf(ev.UserID(), "00000000-0000-4000-8000-%012d", &i); err != nil || i < 0 || i >= events {
			return fmt.Errorf("unexpected event")
		}
		runs[i].Add(1)
		total.Add(1)
		time.Sleep(time.Millisecond) // some work, so deliveries overlap
		return nil
	}
	handlers := []http.Handler{
		webhooks.NewHandler(v, fn, webhooks.WithDeduplicator(a)),
		webhooks.NewHandler(v, fn, webhooks.WithDeduplicator(b)),
	}
	res := Result{Deliveries: events * times, Answered: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for n := range events * times {
		// Interleave: round r delivers every event once, alternating
		// handlers, so copies of one event run at the same time.
		i, r := n%events, n/events
		wg.Go(func() {
			code := deliver(handlers[(i+r)%2], Payload(i))
			mu.Lock()
			res.Answered[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Runs = int(total.Load())
	res.Per = make([]int, events)
	for i := range runs {
		res.Per[i] = int(runs[i].Load())
		if res.Per[i] != 1 {
			tb.Errorf("event %d ran %d times, want 1", i, res.Per[i])
		}
	}
	if res.Runs != events {
		tb.Errorf("the function ran %d times for %d distinct events", res.Runs, events)
	}
	if res.Answered[http.StatusOK] != events*times {
		tb.Errorf("answers: %v, want %d x 200", res.Answered, events*times)
	}
	return res
}

// errFail is what the failing function returns.
var errFail = errors.New("deduptest: processing failed")

// FailureReleases delivers one event to a handler on a whose function
// fails: the answer is 500 and the claim is released, so the redelivery
// to a handler on b runs the function and a third delivery does not.
func FailureReleases(tb testing.TB, a, b webhooks.Deduplicator, event int) {
	tb.Helper()
	v := verifier(tb)
	var runs atomic.Int32
	failing := webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error {
		runs.Add(1)
		return errFail
	}, webhooks.WithDeduplicator(a))
	working := webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error {
		runs.Add(1)
		return nil
	}, webhooks.WithDeduplicator(b))
	if code := deliver(failing, Payload(event)); code < 500 {
		tb.Fatalf("failing function answered %d, want 5xx", code)
	}
	if code := deliver(working, Payload(event)); code != http.StatusOK {
		tb.Fatalf("redelivery answered %d, want 200", code)
	}
	if code := deliver(failing, Payload(event)); code != http.StatusOK {
		tb.Fatalf("third delivery answered %d, want 200 (already processed)", code)
	}
	if n := runs.Load(); n != 2 {
		tb.Fatalf("function ran %d times, want 2 (the failure, then the redelivery)", n)
	}
}

// Semantics checks Claim, Complete and Release on two deduplicators
// sharing one store: a claimed or processed key cannot be claimed, a
// released key can, and releasing a key claimed elsewhere does nothing.
func Semantics(tb testing.TB, a, b webhooks.Deduplicator, key string) {
	tb.Helper()
	ctx := context.Background()
	must := func(ok bool, err error, want bool, what string) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
		if ok != want {
			tb.Fatalf("%s = %v, want %v", what, ok, want)
		}
	}
	ok, err := a.Claim(ctx, key)
	must(ok, err, true, "first claim")
	ok, err = b.Claim(ctx, key)
	must(ok, err, false, "claim while claimed elsewhere")
	ok, err = a.Claim(ctx, key)
	must(ok, err, false, "claim while claimed here")
	if err := b.Release(ctx, key); err != nil {
		tb.Fatal(err)
	}
	ok, err = b.Claim(ctx, key)
	must(ok, err, false, "claim after a release by a non-holder")
	if err := a.Release(ctx, key); err != nil {
		tb.Fatal(err)
	}
	ok, err = b.Claim(ctx, key)
	must(ok, err, true, "claim after release")
	if err := b.Complete(ctx, key); err != nil {
		tb.Fatal(err)
	}
	ok, err = a.Claim(ctx, key)
	must(ok, err, false, "claim after complete")
	if err := a.Release(ctx, key); err != nil {
		tb.Fatal(err)
	}
	ok, err = a.Claim(ctx, key)
	must(ok, err, false, "claim of a processed key after a stray release")
}

// KilledHolder starts child, a replica that claims key with the given
// processing timeout, prints "claimed" and waits, then kills it (SIGKILL):
// d cannot claim key right away, and can once the timeout has passed.
func KilledHolder(tb testing.TB, d webhooks.Deduplicator, child *exec.Cmd, key string, timeout time.Duration) {
	tb.Helper()
	out, err := child.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := child.Start(); err != nil {
		tb.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	claimedAt := time.Now()
	if strings.TrimSpace(line) != "claimed" {
		_ = child.Process.Kill()
		_ = child.Wait()
		tb.Fatalf("child: %q", line)
	}
	if err := child.Process.Kill(); err != nil {
		tb.Fatal(err)
	}
	_ = child.Wait()
	ctx := context.Background()
	if ok, err := d.Claim(ctx, key); ok || err != nil {
		tb.Fatalf("claim of a dead holder's key right away = %v, %v; want false", ok, err)
	}
	for {
		ok, err := d.Claim(ctx, key)
		if err != nil {
			tb.Fatal(err)
		}
		if ok {
			waited := time.Since(claimedAt)
			if waited < timeout-100*time.Millisecond {
				tb.Fatalf("taken over after %v, before the %v timeout", waited, timeout)
			}
			tb.Logf("killed holder's claim taken over %v after it was made (timeout %v)", waited.Round(time.Millisecond), timeout)
			break
		}
		if time.Since(claimedAt) > timeout+5*time.Second {
			tb.Fatal("the dead holder's claim never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := d.Complete(ctx, key); err != nil {
		tb.Fatal(err)
	}
}
