package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc/stores/pgstore"
)

// envTokenKeys holds the token store's AES-256 keys for -postgres:
// "id:base64-key,..." (pgstore.ParseKeyring), the first one current.
const envTokenKeys = "KYC_TOKEN_KEYS"

// errStaleToken is the token store's refusal to replace a token that
// expires later.
var errStaleToken = pgstore.ErrStaleToken

// openTokenStore connects to PostgreSQL for -postgres and returns the
// store users' tokens are kept in (its table created if missing) and a
// function that closes the pool.
func openTokenStore(ctx context.Context, postgresURL string, getenv func(string) string) (*pgstore.TokenStore, func(), error) {
	spec := getenv(envTokenKeys)
	if spec == "" {
		return nil, nil, fmt.Errorf("-postgres needs %s: id:base64-key pairs of 32-byte keys, the first one current", envTokenKeys)
	}
	keys, err := pgstore.ParseKeyring(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", envTokenKeys, err)
	}
	pool, err := pgxpool.New(ctx, postgresURL)
	if err != nil {
		return nil, nil, errors.New("-postgres: not a valid connection URL")
	}
	tokens, err := pgstore.NewTokenStore(pool, keys)
	if err == nil {
		err = tokens.EnsureSchema(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("-postgres: %w", err)
	}
	return tokens, pool.Close, nil
}
