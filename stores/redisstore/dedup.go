package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/webhooks"
)

// Defaults of [NewDeduplicator].
const (
	// DefaultKeyPrefix is put before every key.
	DefaultKeyPrefix = "kyc:webhook:dedup:"
	// DefaultRetention is how long a processed key is remembered: a day
	// of Fractal's retries, as [webhooks.DefaultDedupTTL].
	DefaultRetention = webhooks.DefaultDedupTTL
	// DefaultProcessingTimeout is how long a claim holds when its holder
	// neither completes nor releases it (the process died): then the
	// next delivery is processed.
	DefaultProcessingTimeout = 5 * time.Minute
	// MaxKeyLen bounds a key (Event.DedupKey returns 64 hex digits).
	MaxKeyLen = 256
)

// ErrInvalidKey is returned for an empty key or one longer than MaxKeyLen.
var ErrInvalidKey = fmt.Errorf("redisstore: %w: invalid deduplication key", kyc.ErrInvalidArgument)

// Values stored under a key: a claim is "c:" and the claim's random token;
// a processed key is "d".
const (
	claimPrefix = "c:"
	doneValue   = "d"
)

// releaseScript deletes the key only while it still holds this claim's
// token, so a holder that outlived its processing timeout cannot free a
// claim that another delivery has taken over, nor a processed key.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Deduplicator is a [webhooks.Deduplicator] on Redis, shared by every
// replica that uses the same Redis and key prefix.
//
//   - Claim is SET key "c:<token>" NX PX <processing timeout>, with a fresh
//     random token per claim: one round trip.
//   - Complete is SET key "d" PX <retention>: the key is processed, later
//     deliveries are answered without running the function.
//   - Release runs a small Lua script that deletes the key only if it
//     still holds this claim's token.
//
// A claim whose holder died (neither Complete nor Release came) expires
// after the processing timeout; the next delivery is then processed.
// Keys are the prefix and [webhooks.Event.DedupKey], a hash: no personal
// data is stored. A Deduplicator is safe for concurrent use.
//
// The tokens of claims in flight are kept in memory until Complete or
// Release. If one process claims a key again after its own earlier claim
// of that key timed out, the later claim's token replaces the earlier one.
type Deduplicator struct {
	client     redis.UniversalClient
	prefix     string
	retention  time.Duration
	processing time.Duration

	mu     sync.Mutex
	claims map[string]claim // key -> claim in flight
}

type claim struct {
	value   string
	expires time.Time
}

// Option configures a Deduplicator. Options check their arguments.
type Option func(*Deduplicator) error

// WithKeyPrefix sets the prefix of every key (DefaultKeyPrefix by
// default). Replicas that share deduplication use the same prefix.
func WithKeyPrefix(prefix string) Option {
	return func(d *Deduplicator) error {
		if len(prefix) > 128 {
			return fmt.Errorf("redisstore: %w: WithKeyPrefix: prefix longer than 128 bytes", kyc.ErrInvalidArgument)
		}
		d.prefix = prefix
		return nil
	}
}

// WithRetention sets how long a processed key is remembered
// (DefaultRetention by default).
func WithRetention(d time.Duration) Option {
	return func(dd *Deduplicator) error {
		if d < time.Millisecond {
			return fmt.Errorf("redisstore: %w: WithRetention: retention must be at least a millisecond", kyc.ErrInvalidArgument)
		}
		dd.retention = d
		return nil
	}
}

// WithProcessingTimeout sets how long a claim holds without Complete or
// Release (DefaultProcessingTimeout by default). Make it longer than your
// function ever takes: after it, another delivery runs the function too.
func WithProcessingTimeout(d time.Duration) Option {
	return func(dd *Deduplicator) error {
		if d < time.Millisecond {
			return fmt.Errorf("redisstore: %w: WithProcessingTimeout: timeout must be at least a millisecond", kyc.ErrInvalidArgument)
		}
		dd.processing = d
		return nil
	}
}

// NewDeduplicator returns a Deduplicator on client (a *redis.Client,
// *redis.ClusterClient or any redis.UniversalClient). It sends nothing to
// Redis until the first Claim.
func NewDeduplicator(client redis.UniversalClient, opts ...Option) (*Deduplicator, error) {
	if client == nil {
		return nil, fmt.Errorf("redisstore: %w: nil Redis client", kyc.ErrInvalidArgument)
	}
	d := &Deduplicator{
		client:     client,
		prefix:     DefaultKeyPrefix,
		retention:  DefaultRetention,
		processing: DefaultProcessingTimeout,
		claims:     make(map[string]claim),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

var _ webhooks.Deduplicator = (*Deduplicator)(nil)

func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return ErrInvalidKey
	}
	return nil
}

// Claim reserves key for the processing timeout. It returns false, nil
// when the key is processed or claimed by another delivery.
func (d *Deduplicator) Claim(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:]) // never fails (crypto/rand)
	value := claimPrefix + hex.EncodeToString(tok[:])
	start := time.Now()
	ok, err := d.client.SetNX(ctx, d.prefix+key, value, d.processing).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: claim: %w", err)
	}
	if !ok {
		return false, nil
	}
	d.mu.Lock()
	if len(d.claims) >= 1024 {
		d.sweepLocked(start)
	}
	d.claims[key] = claim{value: value, expires: start.Add(d.processing)}
	d.mu.Unlock()
	return true, nil
}

// sweepLocked drops the tokens of claims that have expired in Redis.
func (d *Deduplicator) sweepLocked(now time.Time) {
	for k, c := range d.claims {
		if now.After(c.expires) {
			delete(d.claims, k)
		}
	}
}

// Complete marks key processed for the retention period, whoever holds
// its claim: the work is done, so no later delivery runs it again.
func (d *Deduplicator) Complete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.claims, key)
	d.mu.Unlock()
	if err := d.client.Set(ctx, d.prefix+key, doneValue, d.retention).Err(); err != nil {
		return fmt.Errorf("redisstore: complete: %w", err)
	}
	return nil
}

// Release frees key if this process's claim still holds it, so the next
// delivery is processed. A key claimed by another delivery, processed, or
// never claimed here is left alone.
func (d *Deduplicator) Release(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	d.mu.Lock()
	c, ok := d.claims[key]
	delete(d.claims, key)
	d.mu.Unlock()
	if !ok {
		return nil
	}
	if err := releaseScript.Run(ctx, d.client, []string{d.prefix + key}, c.value).Err(); err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	return nil
}
