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

// BenchmarkClaimCompletePaired runs the adapter's Claim+Complete and the
// raw statements alternately in one loop, timing each, so that the load
// of a shared machine falls on both alike. It reports ns per operation of
// each and the ratios adapter/raw.
func BenchmarkClaimCompletePaired(b *testing.B) {
	ctx := context.Background()
	table := tableName("paired")
	d := newDedup(b, table)
	pool := newPool(b)
	insert := `INSERT INTO ` + table + ` (key, state, claim, expires_at) VALUES ($1, 'processing', $2, now() + interval '5 minutes') ON CONFLICT DO NOTHING`
	update := `UPDATE ` + table + ` SET state = 'done', claim = '', expires_at = now() + interval '1 day' WHERE key = $1`
	var adapter, claim, raw2, raw1 time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := strconv.Itoa(i)
		// The three run in a rotating order, so none always goes first.
		for j := range 3 {
			switch (i + j) % 3 {
			case 0:
				t0 := time.Now()
				if ok, err := d.Claim(ctx, "a:"+key); err != nil || !ok {
					b.Fatal(ok, err)
				}
				tc := time.Now()
				if err := d.Complete(ctx, "a:"+key); err != nil {
					b.Fatal(err)
				}
				adapter += time.Since(t0)
				claim += tc.Sub(t0)
			case 1:
				t0 := time.Now()
				if _, err := pool.Exec(ctx, insert, "r2:"+key, "0123456789abcdef0123456789abcdef"); err != nil {
					b.Fatal(err)
				}
				if _, err := pool.Exec(ctx, update, "r2:"+key); err != nil {
					b.Fatal(err)
				}
				raw2 += time.Since(t0)
			case 2:
				t0 := time.Now()
				if _, err := pool.Exec(ctx, insert, "r1:"+key, "0123456789abcdef0123456789abcdef"); err != nil {
					b.Fatal(err)
				}
				raw1 += time.Since(t0)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(adapter.Nanoseconds())/n, "adapter-ns/op")
	b.ReportMetric(float64(raw2.Nanoseconds())/n, "raw-insert+update-ns/op")
	b.ReportMetric(float64(raw1.Nanoseconds())/n, "raw-insert-ns/op")
	b.ReportMetric(float64(adapter)/float64(raw2), "x-vs-insert+update")
	b.ReportMetric(float64(adapter)/float64(raw1), "x-vs-insert")
	b.ReportMetric(float64(claim)/float64(raw1), "x-claim-vs-insert")
}
