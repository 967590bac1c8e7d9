package redisstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/kycgo/kyc/stores/redisstore"
	"github.com/kycgo/kyc/webhooks"
)

// Every replica builds its handler on the same Redis: a notification
// delivered twice, to any replicas, runs the function once.
func ExampleNewDeduplicator() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	dedup, err := redisstore.NewDeduplicator(rdb, redisstore.WithKeyPrefix("myapp:webhooks:"))
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets("webhook-secret-token"))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/fractal/webhook", webhooks.NewHandler(verifier, func(ctx context.Context, ev *webhooks.Event) error {
		log.Println("processing", ev.Type)
		return nil
	}, webhooks.WithDeduplicator(dedup)))
}
