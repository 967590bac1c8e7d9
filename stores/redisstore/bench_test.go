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
