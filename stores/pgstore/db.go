package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc"
)

// identRE is a table name: lower-case SQL identifier, optionally
// qualified by a schema.
var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$`)

func checkTable(opt, name string) error {
	if !identRE.MatchString(name) {
		return fmt.Errorf("pgstore: %w: %s: the table name must be a lower-case SQL identifier, optionally schema-qualified", kyc.ErrInvalidArgument, opt)
	}
	return nil
}

// DBError is a database failure. Its message names the operation and,
// for a server error, the SQLSTATE code and constraint only: server
// messages and details can quote row values, so they are left to
// errors.As on the wrapped *pgconn.PgError.
type DBError struct {
	Op  string // what the store was doing, e.g. "claim"
	Err error  // the driver's error
}

// Error implements error.
func (e *DBError) Error() string {
	var pg *pgconn.PgError
	switch {
	case errors.As(e.Err, &pg):
		s := "pgstore: " + e.Op + ": server error SQLSTATE " + pg.Code
		if pg.ConstraintName != "" {
			s += " (constraint " + pg.ConstraintName + ")"
		}
		return s
	default:
		return "pgstore: " + e.Op + ": " + e.Err.Error()
	}
}

// Unwrap returns the driver's error.
func (e *DBError) Unwrap() error { return e.Err }

func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &DBError{Op: op, Err: err}
}

// ensureSchema runs ddl in a transaction under an advisory lock, so that
// replicas starting together do not race on CREATE ... IF NOT EXISTS.
func ensureSchema(ctx context.Context, pool *pgxpool.Pool, ddl string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('github.com/kycgo/kyc/stores/pgstore schema'))`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, ddl)
		return err
	})
}
