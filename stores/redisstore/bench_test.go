package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kycgo/kyc/stores/redisstore"
)

// BenchmarkClaimComplete compares the adapter's Claim+Complete with the
// raw go-redis commands on the same client and server: one SET NX PX
// (the claim alone) and SET NX PX followed by SET PX (the same two round
// trips the adapter makes). Each op uses a fresh key.
func BenchmarkClaimComplete(b *testing.B) {
	c := newClient(b)
	ctx := context.Background()
	run := func(b *testing.B, op func(key string) error) {
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := 0; b.Loop(); i++ {
			if err := op(strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	}
	b.Run("adapter", func(b *testing.B) {
		d, err := redisstore.NewDeduplicator(c, redisstore.WithKeyPrefix("bench:adapter:"+strconv.Itoa(b.N)+":"))
		if err != nil {
			b.Fatal(err)
		}
		run(b, func(key string) error {
			ok, err := d.Claim(ctx, key)
			if err != nil || !ok {
				return err
			}
			return d.Complete(ctx, key)
		})
	})
	b.Run("raw-setnx+set", func(b *testing.B) {
		prefix := "bench:raw2:" + strconv.Itoa(b.N) + ":"
		run(b, func(key string) error {
			if err := c.SetNX(ctx, prefix+key, "c:0123456789abcdef0123456789abcdef", time.Minute).Err(); err != nil {
				return err
			}
			return c.Set(ctx, prefix+key, "d", time.Hour).Err()
		})
	})
	b.Run("raw-setnx", func(b *testing.B) {
		prefix := "bench:raw1:" + strconv.Itoa(b.N) + ":"
		run(b, func(key string) error {
			return c.SetNX(ctx, prefix+key, "c:0123456789abcdef0123456789abcdef", time.Minute).Err()
		})
	})
}

// BenchmarkClaimCompletePaired runs the adapter's Claim+Complete and the
// raw commands alternately in one loop, timing each, so that the load of
// a shared machine falls on both alike. It reports ns per operation of
// each and the ratios adapter/raw.
func BenchmarkClaimCompletePaired(b *testing.B) {
	c := newClient(b)
	ctx := context.Background()
	prefix := "bench:paired:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	d, err := redisstore.NewDeduplicator(c, redisstore.WithKeyPrefix(prefix+"a:"))
	if err != nil {
		b.Fatal(err)
	}
	var adapter, claim, raw2, raw1 time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := strconv.Itoa(i)
		// The three run in a rotating order, so none always goes first.
		for j := range 3 {
			switch (i + j) % 3 {
			case 0:
				t0 := time.Now()
				if ok, err := d.Claim(ctx, key); err != nil || !ok {
					b.Fatal(ok, err)
				}
				tc := time.Now()
				if err := d.Complete(ctx, key); err != nil {
					b.Fatal(err)
				}
				adapter += time.Since(t0)
				claim += tc.Sub(t0)
			case 1:
				t0 := time.Now()
				if err := c.SetNX(ctx, prefix+"r2:"+key, "c:0123456789abcdef0123456789abcdef", time.Minute).Err(); err != nil {
					b.Fatal(err)
				}
				if err := c.Set(ctx, prefix+"r2:"+key, "d", time.Hour).Err(); err != nil {
					b.Fatal(err)
				}
				raw2 += time.Since(t0)
			case 2:
				t0 := time.Now()
				if err := c.SetNX(ctx, prefix+"r1:"+key, "c:0123456789abcdef0123456789abcdef", time.Minute).Err(); err != nil {
					b.Fatal(err)
				}
				raw1 += time.Since(t0)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(adapter.Nanoseconds())/n, "adapter-ns/op")
	b.ReportMetric(float64(raw2.Nanoseconds())/n, "raw-setnx+set-ns/op")
	b.ReportMetric(float64(raw1.Nanoseconds())/n, "raw-setnx-ns/op")
	b.ReportMetric(float64(adapter)/float64(raw2), "x-vs-setnx+set")
	b.ReportMetric(float64(adapter)/float64(raw1), "x-vs-setnx")
	b.ReportMetric(float64(claim)/float64(raw1), "x-claim-vs-setnx")
}
