package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/stores/pgstore"
	"github.com/kycgo/kyc/stores/redisstore"
	"github.com/kycgo/kyc/webhooks"
)

// Environment variables of the -postgres re-read of /v2/users/me.
const (
	envClientID     = "KYC_FRACTAL_CLIENT_ID"
	envClientSecret = "KYC_FRACTAL_CLIENT_SECRET"
	envEnvironment  = "KYC_FRACTAL_ENVIRONMENT"
	// envTokenKeys holds the token store's keys: "id:base64-key,..."
	// (pgstore.ParseKeyring), the first one current.
	envTokenKeys = "KYC_TOKEN_KEYS"
)

// stores is what -redis or -postgres set up: the deduplicator replicas
// share and, with -postgres, the users' tokens.
type stores struct {
	dedup webhooks.Deduplicator
	// pruner deletes the deduplicator's expired rows (-postgres); nil when
	// the store expires them itself (Redis) or there is no store.
	pruner pruner
	users  *userRereader // nil: no re-read
	closes []func()
}

// pruner is pgstore.Deduplicator's Prune.
type pruner interface {
	Prune(ctx context.Context) (int64, error)
}

// Pruning of the PostgreSQL deduplication table, which only shrinks when
// Prune runs.
const (
	pruneInterval = time.Hour
	// pruneTimeout bounds one Prune, so that a database that stops
	// answering does not stop the pruning for good.
	pruneTimeout = time.Minute
)

// startPruning deletes the expired rows of the deduplication table now and
// then every interval, until ctx ends; it does nothing without a pruner.
// A failed Prune is logged and retried at the next tick. The returned
// function waits until the pruning has stopped.
func (s *stores) startPruning(ctx context.Context, interval time.Duration, logger *slog.Logger) (wait func()) {
	if s.pruner == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			pctx, cancel := context.WithTimeout(ctx, pruneTimeout)
			n, err := s.pruner.Prune(pctx)
			cancel()
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				logger.WarnContext(ctx, "pruning the deduplication table failed; retrying at the next tick", "error", err)
			case n > 0:
				logger.InfoContext(ctx, "pruned the deduplication table", "deleted", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { <-done }
}

func (s *stores) close() {
	for i := len(s.closes) - 1; i >= 0; i-- {
		s.closes[i]()
	}
}

// openStores connects to Redis or PostgreSQL as the flags say; with
// neither, deduplication stays in memory (one replica only). getenv reads
// the Fractal application and the token keys for -postgres.
func openStores(ctx context.Context, redisURL, postgresURL string, getenv func(string) string, logger *slog.Logger) (*stores, error) {
	s := &stores{}
	switch {
	case redisURL != "" && postgresURL != "":
		return nil, errors.New("use -redis or -postgres, not both")
	case redisURL != "":
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, errors.New("-redis: not a redis:// or rediss:// URL")
		}
		rdb := redis.NewClient(opt)
		s.closes = append(s.closes, func() { _ = rdb.Close() })
		if err := rdb.Ping(ctx).Err(); err != nil {
			s.close()
			return nil, fmt.Errorf("-redis: %w", err)
		}
		d, err := redisstore.NewDeduplicator(rdb)
		if err != nil {
			s.close()
			return nil, err
		}
		s.dedup = d
	case postgresURL != "":
		pool, err := pgxpool.New(ctx, postgresURL)
		if err != nil {
			return nil, errors.New("-postgres: not a valid connection URL")
		}
		s.closes = append(s.closes, pool.Close)
		d, err := pgstore.NewDeduplicator(pool)
		if err != nil {
			s.close()
			return nil, err
		}
		if err := d.EnsureSchema(ctx); err != nil {
			s.close()
			return nil, fmt.Errorf("-postgres: %w", err)
		}
		s.dedup = d
		s.pruner = d
		users, err := newUserRereader(ctx, pool, getenv, logger)
		if err != nil {
			s.close()
			return nil, err
		}
		s.users = users
		if users == nil {
			logger.Info("set " + envClientID + ", " + envClientSecret + " and " + envTokenKeys +
				" to re-read /v2/users/me with the stored tokens; deduplicating only")
		}
	default:
		s.dedup = webhooks.NewMemoryDeduplicator(0, 0)
	}
	return s, nil
}

// userRereader re-reads GET /v2/users/me for the user of a notification,
// with the token the application stored in PostgreSQL (pgstore.TokenStore,
// which examples/webapp -postgres fills), as Fractal advises after every
// notification.
type userRereader struct {
	tokens *pgstore.TokenStore
	cfg    fractalid.Config
	opts   []option.ClientOption
	logger *slog.Logger
}

// newUserRereader returns nil when the Fractal application or the token
// keys are not configured.
func newUserRereader(ctx context.Context, pool *pgxpool.Pool, getenv func(string) string, logger *slog.Logger) (*userRereader, error) {
	id, secret, keySpec := getenv(envClientID), getenv(envClientSecret), getenv(envTokenKeys)
	if id == "" && secret == "" && keySpec == "" {
		return nil, nil
	}
	if id == "" || secret == "" || keySpec == "" {
		return nil, fmt.Errorf("set all of %s, %s and %s to re-read users (or none)", envClientID, envClientSecret, envTokenKeys)
	}
	keys, err := pgstore.ParseKeyring(keySpec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envTokenKeys, err)
	}
	var env fractalid.Environment
	switch name := getenv(envEnvironment); strings.ToLower(name) {
	case "", "staging":
		env = fractalid.Staging
	case "production":
		env = fractalid.Production
	default:
		return nil, fmt.Errorf("%s must be staging or production", envEnvironment)
	}
	return newUserRereaderWith(ctx, pool, keys, fractalid.Config{ClientID: id, ClientSecret: secret, Environment: env}, logger)
}

func newUserRereaderWith(ctx context.Context, pool *pgxpool.Pool, keys *pgstore.Keyring, cfg fractalid.Config, logger *slog.Logger, opts ...option.ClientOption) (*userRereader, error) {
	tokens, err := pgstore.NewTokenStore(pool, keys)
	if err != nil {
		return nil, err
	}
	if err := tokens.EnsureSchema(ctx); err != nil {
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	return &userRereader{tokens: tokens, cfg: cfg, opts: append([]option.ClientOption{fractalid.WithEnvironment(cfg.Environment)}, opts...), logger: logger}, nil
}

// rereadTimeout bounds one re-read: under the handler's own timeout.
const rereadTimeout = 5 * time.Second

// reread reads the user of ev again. A user whose token is not stored is
// logged and skipped; a user who must authorize again is logged (the
// notification itself was processed). Other failures are returned, so
// the handler answers 500 and Fractal redelivers.
func (u *userRereader) reread(ctx context.Context, ev *webhooks.Event) error {
	uid := ev.UserID()
	if uid == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, rereadTimeout)
	defer cancel()
	ts, err := u.tokens.TokenSource(ctx, u.cfg, uid)
	if errors.Is(err, pgstore.ErrNotFound) {
		u.logger.InfoContext(ctx, "no stored token for the user; not re-read", "uid", uid)
		return nil
	}
	if err != nil {
		return err
	}
	client, err := fractalid.NewClient(ts, u.opts...)
	if err != nil {
		return err
	}
	me, err := client.Me(ctx)
	if errors.Is(err, kyc.ErrReauthorizationRequired) {
		u.logger.WarnContext(ctx, "the user must authorize again; not re-read", "uid", uid)
		return nil
	}
	if err != nil {
		return err
	}
	// Only the uid and the status of the notification's level are logged,
	// never personal data.
	lv := fractalid.ParseLevel(ev.Level())
	u.logger.InfoContext(ctx, "user re-read", "uid", me.UID, "level", ev.Level(), "approved", len(lv) > 0 && me.IsApproved(lv))
	return nil
}
