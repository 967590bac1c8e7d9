package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/kycgo/kyc/internal/testserver"
)

// server is the PostgreSQL all tests of this package share, started on
// first use and stopped by TestMain.
var server struct {
	once sync.Once
	pg   *testserver.Postgres
	err  error
}

func pgURL(tb testing.TB) string {
	tb.Helper()
	server.once.Do(func() { server.pg, server.err = testserver.StartPostgres() })
	testserver.Check(tb, server.err)
	return server.pg.URL()
}

// newPool returns a pool of its own, as another replica has.
func newPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	p, err := pgxpool.New(context.Background(), pgURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

var tableSeq atomic.Int64

// tableName returns a table name no other test uses.
func tableName(prefix string) string {
	return prefix + "_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10) + "_" + strconv.FormatInt(tableSeq.Add(1), 10)
}

// Child process modes (see the tests that start them).
const (
	dedupChildEnv = "PGSTORE_TEST_DEDUP_CHILD"
	tokenChildEnv = "PGSTORE_TEST_TOKEN_CHILD"
)

func TestMain(m *testing.M) {
	if v := os.Getenv(dedupChildEnv); v != "" {
		os.Exit(runDedupChild(v))
	}
	if v := os.Getenv(tokenChildEnv); v != "" {
		os.Exit(runTokenChild(v))
	}
	code := m.Run()
	if server.pg != nil {
		if err := server.pg.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping postgres:", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
