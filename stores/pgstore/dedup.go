package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/webhooks"
)

// Defaults of [NewDeduplicator].
const (
	// DefaultDedupTable is the table of [DedupSchema].
	DefaultDedupTable = "kyc_webhook_dedup"
	// DefaultRetention is how long a processed key is remembered, as
	// [webhooks.DefaultDedupTTL].
	DefaultRetention = webhooks.DefaultDedupTTL
	// DefaultProcessingTimeout is how long a claim holds when its holder
	// neither completes nor releases it (the process died).
	DefaultProcessingTimeout = 5 * time.Minute
	// MaxKeyLen bounds a key (Event.DedupKey returns 64 hex digits).
	MaxKeyLen = 256
)

// DedupSchema is the migration that creates the deduplication table
// under its default name. Run it with your migration tool, or call
// [Deduplicator.EnsureSchema]; nothing is created at import or
// construction. Rows hold the hashed key, a state, the random token of
// the claim and an expiry: no personal data.
const DedupSchema = `CREATE TABLE IF NOT EXISTS kyc_webhook_dedup (
	key        text PRIMARY KEY,
	state      text NOT NULL CHECK (state IN ('processing', 'done')),
	claim      text NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS kyc_webhook_dedup_expires_at ON kyc_webhook_dedup (expires_at);`

// ErrInvalidKey is returned for an empty key or one longer than MaxKeyLen.
var ErrInvalidKey = fmt.Errorf("pgstore: %w: invalid deduplication key", kyc.ErrInvalidArgument)

// Deduplicator is a [webhooks.Deduplicator] on a PostgreSQL table, shared
// by every replica that uses the same database and table.
//
//   - Claim is one INSERT ... ON CONFLICT DO UPDATE ... WHERE the existing
//     row has expired, with a fresh random claim token: it succeeds when
//     the key is new or its earlier claim or retention ran out.
//   - Complete sets the row to state 'done' for the retention period (an
//     UPDATE; an upsert when the row is gone).
//   - Release deletes the row only while it still holds this claim.
//
// Expiry is judged by the database clock (now()), the same for every
// replica. A claim whose holder died expires after the processing timeout
// and the next delivery is processed.
//
// Nothing deletes rows but [Deduplicator.Prune]: an expired row is only
// reused when the same key is claimed again, so without Prune the table
// keeps a row for every notification ever received. Run Prune on a timer
// (hourly is plenty; concurrent runs from several replicas are harmless),
// as examples/webhook-receiver does with -postgres.
//
// The tokens of claims in flight are kept in memory until Complete or
// Release. If one process claims a key again after its own earlier claim
// of that key timed out, the later claim's token replaces the earlier one.
type Deduplicator struct {
	pool       *pgxpool.Pool
	table      string
	retention  time.Duration
	processing time.Duration

	claimSQL, markDoneSQL, completeSQL, releaseSQL, pruneSQL string

	mu     sync.Mutex
	claims map[string]dedupClaim
}

type dedupClaim struct {
	token   string
	expires time.Time
}

// DedupOption configures a Deduplicator. Options check their arguments.
type DedupOption func(*Deduplicator) error

// WithDedupTable sets the table (DefaultDedupTable by default): a
// lower-case identifier, optionally schema-qualified.
func WithDedupTable(name string) DedupOption {
	return func(d *Deduplicator) error {
		if err := checkTable("WithDedupTable", name); err != nil {
			return err
		}
		d.table = name
		return nil
	}
}

// WithRetention sets how long a processed key is remembered
// (DefaultRetention by default).
func WithRetention(r time.Duration) DedupOption {
	return func(d *Deduplicator) error {
		if r < time.Millisecond {
			return fmt.Errorf("pgstore: %w: WithRetention: retention must be at least a millisecond", kyc.ErrInvalidArgument)
		}
		d.retention = r
		return nil
	}
}

// WithProcessingTimeout sets how long a claim holds without Complete or
// Release (DefaultProcessingTimeout by default). Make it longer than your
// function ever takes: after it, another delivery runs the function too.
func WithProcessingTimeout(p time.Duration) DedupOption {
	return func(d *Deduplicator) error {
		if p < time.Millisecond {
			return fmt.Errorf("pgstore: %w: WithProcessingTimeout: timeout must be at least a millisecond", kyc.ErrInvalidArgument)
		}
		d.processing = p
		return nil
	}
}

// NewDeduplicator returns a Deduplicator on pool. It sends nothing to the
// database: create the table with [DedupSchema] or EnsureSchema first.
func NewDeduplicator(pool *pgxpool.Pool, opts ...DedupOption) (*Deduplicator, error) {
	if pool == nil {
		return nil, fmt.Errorf("pgstore: %w: nil pool", kyc.ErrInvalidArgument)
	}
	d := &Deduplicator{
		pool:       pool,
		table:      DefaultDedupTable,
		retention:  DefaultRetention,
		processing: DefaultProcessingTimeout,
		claims:     make(map[string]dedupClaim),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(d); err != nil {
			return nil, err
		}
	}
	// The periods are fixed per Deduplicator: written into the statements
	// as integer literals (a bound interval parameter costs about a fifth
	// of a claim).
	t := d.table
	d.claimSQL = `INSERT INTO ` + t + ` AS t (key, state, claim, expires_at)
VALUES ($1, 'processing', $2, now() + interval '` + strconv.FormatInt(d.processing.Microseconds(), 10) + ` microseconds')
ON CONFLICT (key) DO UPDATE SET state = 'processing', claim = EXCLUDED.claim, expires_at = EXCLUDED.expires_at
WHERE t.expires_at <= now()`
	d.completeSQL = `INSERT INTO ` + t + ` AS t (key, state, claim, expires_at)
VALUES ($1, 'done', '', now() + interval '` + strconv.FormatInt(d.retention.Microseconds(), 10) + ` microseconds')
ON CONFLICT (key) DO UPDATE SET state = 'done', claim = '', expires_at = EXCLUDED.expires_at`
	d.markDoneSQL = `UPDATE ` + t + ` SET state = 'done', claim = '', expires_at = now() + interval '` +
		strconv.FormatInt(d.retention.Microseconds(), 10) + ` microseconds' WHERE key = $1`
	d.releaseSQL = `DELETE FROM ` + t + ` WHERE key = $1 AND state = 'processing' AND claim = $2`
	d.pruneSQL = `DELETE FROM ` + t + ` WHERE expires_at <= now()`
	return d, nil
}

var _ webhooks.Deduplicator = (*Deduplicator)(nil)

// Schema returns the migration for this Deduplicator's table
// ([DedupSchema] under the configured name).
func (d *Deduplicator) Schema() string {
	if d.table == DefaultDedupTable {
		return DedupSchema
	}
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	key        text PRIMARY KEY,
	state      text NOT NULL CHECK (state IN ('processing', 'done')),
	claim      text NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS %s_expires_at ON %s (expires_at);`, d.table, indexBase(d.table), d.table)
}

// indexBase is the unqualified part of a table name.
func indexBase(table string) string {
	for i := len(table) - 1; i >= 0; i-- {
		if table[i] == '.' {
			return table[i+1:]
		}
	}
	return table
}

// EnsureSchema runs Schema (idempotent; replicas starting together are
// serialised by an advisory lock).
func (d *Deduplicator) EnsureSchema(ctx context.Context) error {
	return dbErr("ensure schema", ensureSchema(ctx, d.pool, d.Schema()))
}

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
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	token := hex.EncodeToString(b[:])
	start := time.Now()
	tag, err := d.pool.Exec(ctx, d.claimSQL, key, token)
	if err != nil {
		return false, dbErr("claim", err)
	}
	if tag.RowsAffected() != 1 {
		return false, nil
	}
	d.mu.Lock()
	if len(d.claims) >= 1024 {
		for k, c := range d.claims {
			if start.After(c.expires) {
				delete(d.claims, k)
			}
		}
	}
	d.claims[key] = dedupClaim{token: token, expires: start.Add(d.processing)}
	d.mu.Unlock()
	return true, nil
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
	// The row is there in the usual case (this delivery claimed it): a
	// plain UPDATE. Only when it is gone (pruned after its claim expired)
	// is it inserted.
	tag, err := d.pool.Exec(ctx, d.markDoneSQL, key)
	if err != nil {
		return dbErr("complete", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	_, err = d.pool.Exec(ctx, d.completeSQL, key)
	return dbErr("complete", err)
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
	_, err := d.pool.Exec(ctx, d.releaseSQL, key, c.token)
	return dbErr("release", err)
}

// Prune deletes expired rows (claims of dead holders and processed keys
// past their retention) and returns how many. It is the only thing that
// deletes them: call it periodically (see [Deduplicator]).
func (d *Deduplicator) Prune(ctx context.Context) (int64, error) {
	tag, err := d.pool.Exec(ctx, d.pruneSQL)
	if err != nil {
		return 0, dbErr("prune", err)
	}
	return tag.RowsAffected(), nil
}
