package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/deduptest"
	"github.com/kycgo/kyc/stores/redisstore"
)

var seq atomic.Int64

// uniq returns a key prefix no other test (or run, with -count) uses.
func uniq(p string) string {
	return p + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(seq.Add(1), 10) + ":"
}

func newDedup(tb testing.TB, prefix string, opts ...redisstore.Option) *redisstore.Deduplicator {
	tb.Helper()
	d, err := redisstore.NewDeduplicator(newClient(tb), append([]redisstore.Option{redisstore.WithKeyPrefix(prefix)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestSemantics(t *testing.T) {
	p := uniq("sem:")
	a, b := newDedup(t, p), newDedup(t, p)
	deduptest.Semantics(t, a, b, deduptest.Key(t, 1))
}

// Two handlers with separate clients (as two replicas) share one Redis:
// 1,000 concurrent deliveries of 100 events run the function 100 times.
func TestSharedAcrossReplicas(t *testing.T) {
	p := uniq("shared:")
	a, b := newDedup(t, p), newDedup(t, p)
	res := deduptest.Shared(t, a, b, 100, 10)
	t.Logf("%d deliveries, %d distinct events, function ran %d times, answers %v, %v",
		res.Deliveries, len(res.Per), res.Runs, res.Answered, res.Elapsed)
}

func TestFailureReleasesClaim(t *testing.T) {
	p := uniq("fail:")
	a, b := newDedup(t, p), newDedup(t, p)
	deduptest.FailureReleases(t, a, b, 7)
}

// A processed key is remembered for the retention period, then forgotten.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	d := newDedup(t, uniq("ret:"), redisstore.WithRetention(300*time.Millisecond))
	key := deduptest.Key(t, 2)
	if ok, err := d.Claim(ctx, key); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := d.Complete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, _ := d.Claim(ctx, key); ok {
		t.Fatal("processed key claimed within the retention")
	}
	time.Sleep(400 * time.Millisecond)
	if ok, err := d.Claim(ctx, key); !ok || err != nil {
		t.Fatalf("key not claimable after the retention: %v %v", ok, err)
	}
}

// A holder that outlived its processing timeout cannot release the claim
// that another delivery took over.
func TestLateReleaseKeepsTakeover(t *testing.T) {
	ctx := context.Background()
	p := uniq("late:")
	a := newDedup(t, p, redisstore.WithProcessingTimeout(200*time.Millisecond))
	b := newDedup(t, p, redisstore.WithProcessingTimeout(time.Minute))
	key := deduptest.Key(t, 3)
	if ok, err := a.Claim(ctx, key); !ok || err != nil {
		t.Fatal(ok, err)
	}
	time.Sleep(300 * time.Millisecond)
	if ok, err := b.Claim(ctx, key); !ok || err != nil {
		t.Fatalf("expired claim not taken over: %v %v", ok, err)
	}
	if err := a.Release(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Claim(ctx, key); ok {
		t.Fatal("the late release freed the claim another delivery holds")
	}
}

// A replica is killed (SIGKILL) while it holds a claim: the key stays
// claimed until the processing timeout, then the next delivery gets it.
func TestKilledHolderIsTakenOver(t *testing.T) {
	addr := redisAddr(t)
	const timeout = 2 * time.Second
	key := deduptest.Key(t, 4)
	prefix := uniq("killed:")
	d := newDedup(t, prefix)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %d", childEnv, addr, prefix, key, timeout.Milliseconds()))
	deduptest.KilledHolder(t, d, cmd, key, timeout)
}

func TestOptionsAndKeysAreChecked(t *testing.T) {
	c := newClient(t)
	if _, err := redisstore.NewDeduplicator(nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("nil client: %v, want kyc.ErrInvalidArgument", err)
	}
	for name, o := range map[string]redisstore.Option{
		"retention":  redisstore.WithRetention(0),
		"processing": redisstore.WithProcessingTimeout(-time.Second),
		"prefix":     redisstore.WithKeyPrefix(strings.Repeat("p", 129)),
	} {
		if _, err := redisstore.NewDeduplicator(c, o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: invalid option: %v, want kyc.ErrInvalidArgument", name, err)
		}
	}
	d, err := redisstore.NewDeduplicator(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"", strings.Repeat("k", redisstore.MaxKeyLen+1)} {
		if _, err := d.Claim(ctx, key); !errors.Is(err, redisstore.ErrInvalidKey) || !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("Claim(%d bytes) = %v", len(key), err)
		}
		if err := d.Complete(ctx, key); !errors.Is(err, redisstore.ErrInvalidKey) {
			t.Errorf("Complete(%d bytes) = %v", len(key), err)
		}
		if err := d.Release(ctx, key); !errors.Is(err, redisstore.ErrInvalidKey) {
			t.Errorf("Release(%d bytes) = %v", len(key), err)
		}
	}
}

// A dead connection gives an error (the handler answers 500, Fractal
// retries), never a claim.
func TestStoreErrors(t *testing.T) {
	c := newClient(t)
	d, err := redisstore.NewDeduplicator(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	key := deduptest.Key(t, 5)
	ok, err := d.Claim(ctx, key)
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("Claim on a cancelled context = %v, %v", ok, err)
	}
	if err := d.Complete(ctx, key); !errors.Is(err, context.Canceled) {
		t.Fatalf("Complete on a cancelled context = %v", err)
	}
	if !strings.HasPrefix(fmt.Sprint(err), "redisstore: ") {
		t.Fatalf("error %q does not name the package", err)
	}
}
