package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/stores/pgstore"
	"github.com/kycgo/kyc/webhooks"
)

// Keys come from your secret manager as id:base64 pairs, the current one
// first; a Keyring prints its key ids only.
func ExampleParseKeyring() {
	k, err := pgstore.ParseKeyring("2026-11:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,2026-05:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.Current())
	fmt.Println(k)
	// Output:
	// 2026-11
	// pgstore.Keyring{Current: "2026-11", IDs: ["2026-05" "2026-11"], Keys: [redacted]}
}

// Every replica builds its webhook handler on the same table.
func ExampleNewDeduplicator() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	dedup, err := pgstore.NewDeduplicator(pool)
	if err != nil {
		log.Fatal(err)
	}
	if err := dedup.EnsureSchema(ctx); err != nil { // or run pgstore.DedupSchema with your migrations
		log.Fatal(err)
	}
	verifier, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets(os.Getenv("KYC_FRACTAL_WEBHOOK_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/fractal/webhook", webhooks.NewHandler(verifier, func(ctx context.Context, ev *webhooks.Event) error {
		log.Println("processing", ev.Type)
		return nil
	}, webhooks.WithDeduplicator(dedup)))
}

// At sign-in the token is saved under the user's uid; later, any replica
// reads the user with a source that refreshes under the row lock.
func ExampleTokenStore_TokenSource() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	keys, err := pgstore.ParseKeyring(os.Getenv("KYC_TOKEN_KEYS"))
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := pgstore.NewTokenStore(pool, keys)
	if err != nil {
		log.Fatal(err)
	}
	cfg := fractalid.Config{ClientID: os.Getenv("KYC_FRACTAL_CLIENT_ID"), ClientSecret: os.Getenv("KYC_FRACTAL_CLIENT_SECRET")}
	uid := "the user's uid, e.g. from a webhook's ev.UserID()"
	ts, err := tokens.TokenSource(ctx, cfg, uid)
	if err != nil {
		log.Fatal(err)
	}
	client, err := fractalid.NewClient(ts, fractalid.WithEnvironment(cfg.Environment))
	if err != nil {
		log.Fatal(err)
	}
	me, err := client.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.UID)
}
