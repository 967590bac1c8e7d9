package testserver_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kycgo/kyc/internal/testserver"
)

func TestRedisStartsAndStops(t *testing.T) {
	r, err := testserver.StartRedis()
	testserver.Check(t, err)
	c, err := net.DialTimeout("tcp", r.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || line != "+PONG\r\n" {
		t.Fatalf("PING answered %q, %v", line, err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", r.Addr, time.Second); err == nil {
		t.Fatal("redis-server still accepts connections after Stop")
	}
}

func TestPostgresStartsAndStops(t *testing.T) {
	pg, err := testserver.StartPostgres()
	testserver.Check(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(pg.Port))
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("postgres still accepts connections after Stop")
	}
}

func TestCheckSkipsWhenNotRequired(t *testing.T) {
	if os.Getenv(testserver.RequireEnv) == "1" {
		t.Skip("servers are required here; the skip path is not taken")
	}
	ok := t.Run("missing", func(t *testing.T) {
		testserver.Check(t, testserver.ErrNotInstalled)
		t.Error("Check returned for a missing server")
	})
	if !ok {
		t.Fatal("a missing server failed the test instead of skipping it")
	}
}

// Without the binaries the servers report ErrNotInstalled, which Check
// turns into a skip.
func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := testserver.StartRedis(); !errors.Is(err, testserver.ErrNotInstalled) {
		t.Errorf("redis-server not on PATH: %v", err)
	}
	t.Setenv(testserver.PostgresBinEnv, t.TempDir())
	if _, err := testserver.StartPostgres(); !errors.Is(err, testserver.ErrNotInstalled) {
		t.Errorf("no postgres in $%s: %v", testserver.PostgresBinEnv, err)
	}
}
