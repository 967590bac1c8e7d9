package webhooks

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestMemoryDeduplicatorTTLAndCap(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d := NewMemoryDeduplicator(time.Minute, 3)
	d.now = func() time.Time { return now }

	claim := func(key string) bool {
		t.Helper()
		ok, err := d.Claim(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim("a") || claim("a") {
		t.Fatal("a claimed twice, or not at all")
	}
	// In progress: a second delivery is refused; after Release it is free.
	_ = d.Release(ctx, "a")
	if !claim("a") {
		t.Fatal("released key not claimable")
	}
	_ = d.Complete(ctx, "a")
	_ = d.Release(ctx, "a") // no effect once complete
	if claim("a") {
		t.Fatal("completed key claimable")
	}

	// TTL counts from completion.
	now = now.Add(59 * time.Second)
	if claim("a") {
		t.Fatal("key expired early")
	}
	now = now.Add(2 * time.Second)
	if !claim("a") {
		t.Fatal("key did not expire")
	}

	// Size cap: the oldest entry goes.
	for i := 0; i < 3; i++ {
		now = now.Add(time.Second)
		claim("k" + strconv.Itoa(i))
	}
	if d.Len() != 3 {
		t.Fatalf("Len = %d, want 3", d.Len())
	}
	if !claim("a") { // "a" was the oldest and was evicted
		t.Fatal("oldest entry not evicted")
	}
	if claim("k2") {
		t.Fatal("newest entry evicted")
	}

	// Complete without a claim records the key.
	_ = d.Complete(ctx, "z")
	if claim("z") {
		t.Fatal("Complete without Claim not recorded")
	}
	now = now.Add(time.Hour)
	if !claim("new") || d.Len() != 1 {
		t.Fatalf("expired entries not dropped: Len = %d", d.Len())
	}

	dd := NewMemoryDeduplicator(0, 0)
	if dd.ttl != DefaultDedupTTL || dd.max != DefaultDedupMaxEntries {
		t.Errorf("defaults: %v %d", dd.ttl, dd.max)
	}
}
