package webhooks

import (
	"context"
	"sync"
	"time"
)

// A Deduplicator suppresses repeated deliveries of the same notification,
// keyed by [Event.DedupKey]. Fractal delivers at least once and sends no
// event id, so a notification can arrive twice.
//
// The handler calls Claim before your function. When Claim returns true the
// handler runs the function and then calls exactly one of Complete (it
// succeeded: the key is processed) or Release (it failed or panicked: the
// key is free again, so Fractal's retry is processed). When Claim returns
// false the notification was already processed, or is being processed by
// another delivery; the handler answers 200 without calling the function.
// If that other delivery then fails, it answers non-2xx and Fractal retries
// it, so nothing is lost.
//
// The handler bounds each call with a deadline ([WithDedupTimeout]).
// Complete and Release get a context detached from the request's
// cancellation, so that a sender hanging up does not keep the result from
// being recorded, and ended by that deadline alone: implementations must
// return when their context ends.
//
// Implementations must be safe for concurrent use. A shared store (Redis
// SET NX with a TTL, a database unique key) makes suppression work across
// replicas; [MemoryDeduplicator] works within one process.
type Deduplicator interface {
	// Claim atomically reserves key. It returns false, nil when key is
	// processed or reserved; an error makes the handler answer 500 so
	// that Fractal retries later.
	Claim(ctx context.Context, key string) (bool, error)
	// Complete marks a claimed key as processed.
	Complete(ctx context.Context, key string) error
	// Release drops the reservation of a key whose processing failed.
	Release(ctx context.Context, key string) error
}

// Defaults of [NewMemoryDeduplicator].
const (
	// DefaultDedupTTL covers a day of Fractal's retries, which back off up
	// to 24 hours between attempts.
	DefaultDedupTTL = 24 * time.Hour
	// DefaultDedupMaxEntries bounds the memory of a MemoryDeduplicator.
	DefaultDedupMaxEntries = 10000
)

// MemoryDeduplicator is an in-process [Deduplicator]: a map bounded both by
// age (entries expire after a TTL) and by size (the oldest entry is dropped
// when it is full). It starts no goroutine; expired entries are dropped on
// use. Keys are what [Event.DedupKey] returns: hashes, no personal data.
// It only sees the deliveries of its own process.
type MemoryDeduplicator struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]int32 // key -> index in slots
	// slots holds the entries in a circular list by expiry, oldest first,
	// linked by index; slots[0] is the list's sentinel. Freed slots are
	// chained through next from free (0: none). Keeping the entries in one
	// slice makes a steady stream of new keys allocation-free apart from
	// the keys themselves.
	slots []memEntry
	free  int32
	now   func() time.Time
}

type memEntry struct {
	prev, next int32
	done       bool
	key        string
	expires    time.Time
}

// NewMemoryDeduplicator returns a MemoryDeduplicator that remembers a key
// for ttl after it was claimed or completed, and at most maxEntries keys.
// A non-positive ttl or maxEntries takes the default ([DefaultDedupTTL],
// [DefaultDedupMaxEntries]).
func NewMemoryDeduplicator(ttl time.Duration, maxEntries int) *MemoryDeduplicator {
	if ttl <= 0 {
		ttl = DefaultDedupTTL
	}
	if maxEntries <= 0 {
		maxEntries = DefaultDedupMaxEntries
	}
	return &MemoryDeduplicator{ttl: ttl, max: maxEntries, entries: make(map[string]int32), slots: make([]memEntry, 1), now: time.Now}
}

// Claim reserves key unless it is processed or reserved and not expired.
func (d *MemoryDeduplicator) Claim(_ context.Context, key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	if _, ok := d.entries[key]; ok {
		return false, nil
	}
	d.insert(key, now, false)
	return true, nil
}

// Complete marks key processed for the TTL from now.
func (d *MemoryDeduplicator) Complete(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if i, ok := d.entries[key]; ok {
		e := &d.slots[i]
		e.done = true
		e.expires = now.Add(d.ttl)
		d.unlink(i)
		d.pushBack(i)
		return nil
	}
	d.insert(key, now, true)
	return nil
}

// Release forgets a reservation that was not completed.
func (d *MemoryDeduplicator) Release(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i, ok := d.entries[key]; ok && !d.slots[i].done {
		d.remove(i)
	}
	return nil
}

// Len returns the number of keys held, expired ones included until the
// next call drops them.
func (d *MemoryDeduplicator) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

func (d *MemoryDeduplicator) insert(key string, now time.Time, done bool) {
	for len(d.entries) >= d.max {
		d.remove(d.slots[0].next)
	}
	i := d.free
	if i != 0 {
		d.free = d.slots[i].next
	} else {
		i = int32(len(d.slots))
		d.slots = append(d.slots, memEntry{})
	}
	d.slots[i] = memEntry{key: key, expires: now.Add(d.ttl), done: done}
	d.pushBack(i)
	d.entries[key] = i
}

// remove drops the entry in slot i and frees the slot.
func (d *MemoryDeduplicator) remove(i int32) {
	d.unlink(i)
	delete(d.entries, d.slots[i].key)
	d.slots[i] = memEntry{next: d.free}
	d.free = i
}

func (d *MemoryDeduplicator) pushBack(i int32) {
	last := d.slots[0].prev
	d.slots[i].prev, d.slots[i].next = last, 0
	d.slots[last].next = i
	d.slots[0].prev = i
}

func (d *MemoryDeduplicator) unlink(i int32) {
	e := &d.slots[i]
	d.slots[e.prev].next = e.next
	d.slots[e.next].prev = e.prev
	e.prev, e.next = 0, 0
}

// expire drops entries whose time is up. The list is ordered by expiry
// because every entry gets the same TTL from a non-decreasing clock.
func (d *MemoryDeduplicator) expire(now time.Time) {
	for {
		front := d.slots[0].next
		if front == 0 || now.Before(d.slots[front].expires) {
			return
		}
		d.remove(front)
	}
}
