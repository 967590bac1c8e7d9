package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/kycgo/kyc/internal/testserver"
	"github.com/kycgo/kyc/stores/redisstore"
)

// server is the redis-server all tests of this package share, started on
// first use and stopped by TestMain.
var server struct {
	once sync.Once
	r    *testserver.Redis
	err  error
}

func redisAddr(tb testing.TB) string {
	tb.Helper()
	server.once.Do(func() { server.r, server.err = testserver.StartRedis() })
	testserver.Check(tb, server.err)
	return server.r.Addr
}

// newClient returns a client of its own (a pool, as another replica has).
func newClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(tb)})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// childEnv makes the test binary a process that claims one key and waits
// to be killed (see TestKilledHolderIsTakenOver).
const childEnv = "REDISSTORE_TEST_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(runChild(v))
	}
	code := m.Run()
	if server.r != nil {
		if err := server.r.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping redis-server:", err)
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

// runChild claims the key in spec ("addr prefix key milliseconds") and then blocks,
// as a replica that dies in the middle of processing.
func runChild(spec string) int {
	var addr, prefix, key string
	var ms int64
	if _, err := fmt.Sscan(spec, &addr, &prefix, &key, &ms); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	d, err := redisstore.NewDeduplicator(c, redisstore.WithKeyPrefix(prefix), redisstore.WithProcessingTimeout(time.Duration(ms)*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return 2
	}
	ok, err := d.Claim(context.Background(), key)
	if err != nil || !ok {
		fmt.Println("claim failed:", ok, err)
		return 2
	}
	fmt.Println("claimed")
	select {} // until killed
}
