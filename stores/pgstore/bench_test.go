package pgstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// BenchmarkClaimComplete compares the adapter's Claim+Complete with raw
// pgx statements on the same pool and table: one INSERT ... ON CONFLICT
// DO NOTHING (the claim alone) and that INSERT followed by an UPDATE (the
// same two round trips the adapter makes). Each op uses a fresh key.
func BenchmarkClaimComplete(b *testing.B) {
	ctx := context.Background()
	table := tableName("bench")
	d := newDedup(b, table)
	pool := newPool(b)
	run := func(b *testing.B, prefix string, op func(key string) error) {
		b.ReportAllocs()
		start := time.Now()
		for i := 0; b.Loop(); i++ {
			if err := op(prefix + strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	}
	var round int
	next := func(name string) string { round++; return name + strconv.Itoa(round) + ":" }
	b.Run("adapter", func(b *testing.B) {
		run(b, next("adapter"), func(key string) error {
			ok, err := d.Claim(ctx, key)
			if err != nil || !ok {
				return err
			}
			return d.Complete(ctx, key)
		})
	})
	insert := `INSERT INTO ` + table + ` (key, state, claim, expires_at) VALUES ($1, 'processing', $2, now() + interval '5 minutes') ON CONFLICT DO NOTHING`
	update := `UPDATE ` + table + ` SET state = 'done', claim = '', expires_at = now() + interval '1 day' WHERE key = $1`
	b.Run("raw-insert+update", func(b *testing.B) {
		run(b, next("raw2"), func(key string) error {
			if _, err := pool.Exec(ctx, insert, key, "0123456789abcdef0123456789abcdef"); err != nil {
				return err
			}
			_, err := pool.Exec(ctx, update, key)
			return err
		})
	})
	b.Run("raw-insert", func(b *testing.B) {
		run(b, next("raw1"), func(key string) error {
			_, err := pool.Exec(ctx, insert, key, "0123456789abcdef0123456789abcdef")
			return err
		})
	})
}
