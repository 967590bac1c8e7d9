// Package redisstore shares webhook deduplication between replicas
// through Redis: [Deduplicator] implements [webhooks.Deduplicator] on
// github.com/redis/go-redis/v9.
//
// It is a module of its own (github.com/kycgo/kyc/stores/redisstore), so
// that programs importing only the SDK's webhooks or fractalid packages
// get no Redis driver in their build.
//
// Wiring:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	dedup, err := redisstore.NewDeduplicator(rdb)
//	if err != nil { ... }
//	h := webhooks.NewHandler(verifier, fn, webhooks.WithDeduplicator(dedup))
package redisstore
