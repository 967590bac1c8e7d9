package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/deduptest"
	"github.com/kycgo/kyc/stores/pgstore"
)

func newDedup(tb testing.TB, table string, opts ...pgstore.DedupOption) *pgstore.Deduplicator {
	tb.Helper()
	d, err := pgstore.NewDeduplicator(newPool(tb), append([]pgstore.DedupOption{pgstore.WithDedupTable(table)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.EnsureSchema(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestDedupSemantics(t *testing.T) {
	table := tableName("sem")
	a, b := newDedup(t, table), newDedup(t, table)
	deduptest.Semantics(t, a, b, deduptest.Key(t, 1))
}

// Two handlers with separate pools (as two replicas) share one database:
// 1,000 concurrent deliveries of 100 events run the function 100 times.
func TestDedupSharedAcrossReplicas(t *testing.T) {
	table := tableName("shared")
	a, b := newDedup(t, table), newDedup(t, table)
	res := deduptest.Shared(t, a, b, 100, 10)
	t.Logf("%d deliveries, %d distinct events, function ran %d times, answers %v, %v",
		res.Deliveries, len(res.Per), res.Runs, res.Answered, res.Elapsed)
}

func TestDedupFailureReleasesClaim(t *testing.T) {
	table := tableName("fail")
	a, b := newDedup(t, table), newDedup(t, table)
	deduptest.FailureReleases(t, a, b, 7)
}

func TestDedupRetentionAndPrune(t *testing.T) {
	ctx := context.Background()
	d := newDedup(t, tableName("ret"), pgstore.WithRetention(300*time.Millisecond))
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
	if n, err := d.Prune(ctx); n != 1 || err != nil {
		t.Fatalf("Prune = %d, %v; want 1 row", n, err)
	}
	if ok, err := d.Claim(ctx, key); !ok || err != nil {
		t.Fatalf("key not claimable after the retention: %v %v", ok, err)
	}
}

func TestDedupLateReleaseKeepsTakeover(t *testing.T) {
	ctx := context.Background()
	table := tableName("late")
	a := newDedup(t, table, pgstore.WithProcessingTimeout(200*time.Millisecond))
	b := newDedup(t, table)
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

// runDedupChild claims the key in spec ("url table key milliseconds") and
// blocks, as a replica that dies in the middle of processing.
func runDedupChild(spec string) int {
	var url, table, key string
	var ms int64
	if _, err := fmt.Sscan(spec, &url, &table, &key, &ms); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	d, err := pgstore.NewDeduplicator(pool, pgstore.WithDedupTable(table), pgstore.WithProcessingTimeout(time.Duration(ms)*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return 2
	}
	if ok, err := d.Claim(context.Background(), key); err != nil || !ok {
		fmt.Println("claim failed:", ok, err)
		return 2
	}
	fmt.Println("claimed")
	select {} // until killed
}

// A replica is killed (SIGKILL) while it holds a claim: the key stays
// claimed until the processing timeout, then the next delivery gets it.
func TestDedupKilledHolderIsTakenOver(t *testing.T) {
	const timeout = 2 * time.Second
	table := tableName("killed")
	d := newDedup(t, table)
	key := deduptest.Key(t, 4)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %d", dedupChildEnv, pgURL(t), table, key, timeout.Milliseconds()))
	deduptest.KilledHolder(t, d, cmd, key, timeout)
}

func TestDedupOptionsAndKeysAreChecked(t *testing.T) {
	pool := newPool(t)
	if _, err := pgstore.NewDeduplicator(nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("nil pool: %v", err)
	}
	for name, o := range map[string]pgstore.DedupOption{
		"retention":   pgstore.WithRetention(0),
		"processing":  pgstore.WithProcessingTimeout(-time.Second),
		"table":       pgstore.WithDedupTable("x; DROP TABLE y"),
		"table upper": pgstore.WithDedupTable("Dedup"),
	} {
		if _, err := pgstore.NewDeduplicator(pool, o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: invalid option accepted: %v", name, err)
		}
	}
	d, err := pgstore.NewDeduplicator(pool, nil, pgstore.WithDedupTable("public.my_dedup"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Schema(), "public.my_dedup (") || !strings.Contains(d.Schema(), "my_dedup_expires_at") {
		t.Errorf("Schema() for a custom table:\n%s", d.Schema())
	}
	ctx := context.Background()
	for _, key := range []string{"", strings.Repeat("k", pgstore.MaxKeyLen+1)} {
		if _, err := d.Claim(ctx, key); !errors.Is(err, pgstore.ErrInvalidKey) {
			t.Errorf("Claim(%d bytes) = %v", len(key), err)
		}
		if err := d.Complete(ctx, key); !errors.Is(err, pgstore.ErrInvalidKey) {
			t.Errorf("Complete(%d bytes) = %v", len(key), err)
		}
		if err := d.Release(ctx, key); !errors.Is(err, pgstore.ErrInvalidKey) {
			t.Errorf("Release(%d bytes) = %v", len(key), err)
		}
	}
}

// Nothing is created at construction: before EnsureSchema, a claim fails
// with a *DBError naming only the SQLSTATE (undefined_table).
func TestDedupNoTableUntilEnsureSchema(t *testing.T) {
	d, err := pgstore.NewDeduplicator(newPool(t), pgstore.WithDedupTable(tableName("absent")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Claim(context.Background(), deduptest.Key(t, 5))
	var dbe *pgstore.DBError
	if !errors.As(err, &dbe) || !strings.Contains(err.Error(), "SQLSTATE 42P01") {
		t.Fatalf("claim without a table = %v", err)
	}
	if strings.Contains(err.Error(), "absent") {
		t.Errorf("error quotes the server message: %q", err)
	}
}
