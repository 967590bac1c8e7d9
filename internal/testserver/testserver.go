// Package testserver starts throwaway Redis and PostgreSQL servers for the
// tests of the store modules: each in its own temporary directory, on a
// free loopback port, stopped and removed by Stop. A server whose binaries
// are not installed gives ErrNotInstalled; [Check] turns that into a skip,
// or into a failure when KYC_REQUIRE_SERVERS=1 (as CI sets it).
package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ErrNotInstalled reports that a server's binaries were not found.
var ErrNotInstalled = errors.New("testserver: server binaries not installed")

// RequireEnv is the variable that turns a missing server into a failure.
const RequireEnv = "KYC_REQUIRE_SERVERS"

// Check skips tb when err is ErrNotInstalled (fails it when RequireEnv is
// set to 1) and fails it on any other error.
func Check(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1" {
		tb.Skipf("%v (install redis-server and postgresql, or set %s=1 to make this a failure)", err, RequireEnv)
	}
	tb.Fatal(err)
}

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 60 * time.Second

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a running server and its directory.
type process struct {
	cmd     *exec.Cmd
	dir     string
	stopSig os.Signal
	log     *bytes.Buffer
	done    chan struct{}
	once    sync.Once
	waitErr error
}

func startProcess(cmd *exec.Cmd, dir string, stopSig os.Signal) (*process, error) {
	p := &process{cmd: cmd, dir: dir, stopSig: stopSig, log: new(bytes.Buffer), done: make(chan struct{})}
	cmd.Stdout = &lockedWriter{w: p.log}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) output() string {
	w := p.cmd.Stdout.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	s := p.log.String()
	if len(s) > 4096 {
		s = "..." + s[len(s)-4096:]
	}
	return s
}

// stop ends the server (gracefully, then by force) and removes its
// directory.
func (p *process) stop() error {
	var err error
	p.once.Do(func() {
		if !p.exited() {
			_ = p.cmd.Process.Signal(p.stopSig)
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		err = os.RemoveAll(p.dir)
	})
	return err
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Redis is a running redis-server.
type Redis struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	p    *process
}

// StartRedis starts redis-server with no persistence on a free loopback
// port.
func StartRedis() (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w: redis-server is not on PATH", ErrNotInstalled)
	}
	var lastErr error
	for range 3 {
		r, err := startRedis(bin)
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startRedis(bin string) (*Redis, error) {
	dir, err := os.MkdirTemp("", "kyc-redis-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "yes",
		"--daemonize", "no", "--loglevel", "warning")
	p, err := startProcess(cmd, dir, syscall.SIGTERM)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("testserver: starting redis-server: %w", err)
	}
	r := &Redis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), p: p}
	deadline := time.Now().Add(startTimeout)
	for {
		if p.exited() {
			_ = p.stop()
			return nil, fmt.Errorf("testserver: redis-server exited: %s", p.output())
		}
		if pingRedis(r.Addr) {
			return r, nil
		}
		if time.Now().After(deadline) {
			_ = p.stop()
			return nil, fmt.Errorf("testserver: redis-server did not answer within %v: %s", startTimeout, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pingRedis(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// URL is the redis:// URL of the server.
func (r *Redis) URL() string { return "redis://" + r.Addr + "/0" }

// Stop ends the server and removes its directory.
func (r *Redis) Stop() error { return r.p.stop() }

// Postgres is a running PostgreSQL cluster with trust authentication for
// the user "postgres" on 127.0.0.1.
type Postgres struct {
	// Port is the loopback TCP port.
	Port int
	p    *process
}

// URL is a connection URL for database "postgres" as user "postgres".
func (pg *Postgres) URL() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(pg.Port) + "/postgres?sslmode=disable"
}

// Stop ends the server (fast shutdown) and removes its directory.
func (pg *Postgres) Stop() error { return pg.p.stop() }

// PostgresBinEnv names a directory holding initdb and postgres, used
// instead of the search.
const PostgresBinEnv = "KYC_POSTGRES_BIN"

// pgBinDir finds initdb and postgres: in $KYC_POSTGRES_BIN when set, else
// on PATH, else under Debian's /usr/lib/postgresql/<version>/bin (the
// newest version).
func pgBinDir() (string, error) {
	if dir := os.Getenv(PostgresBinEnv); dir != "" {
		for _, b := range []string{"initdb", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
				return "", fmt.Errorf("%w: no %s in $%s", ErrNotInstalled, b, PostgresBinEnv)
			}
		}
		return dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVer := "", -1
	for _, m := range matches {
		dir := filepath.Dir(m)
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil && v > bestVer {
			best, bestVer = dir, v
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w: initdb and postgres are neither on PATH nor under /usr/lib/postgresql/*/bin", ErrNotInstalled)
	}
	return best, nil
}

// StartPostgres runs initdb in a new temporary directory and starts
// postgres on a free loopback port, its unix socket in the same directory.
// PostgreSQL refuses to run as root: under root both run as the user
// "nobody", which then owns the directory.
func StartPostgres() (*Postgres, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(pgTempBase(), "kyc-pg-")
	if err != nil {
		return nil, err
	}
	cred, err := unprivileged(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Env = pgEnv()
	setCredential(initdb, cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("testserver: initdb: %w: %s", err, tail(out))
	}
	var lastErr error
	for range 3 {
		pg, err := startPostgres(bin, dir, data, cred)
		if err == nil {
			return pg, nil
		}
		lastErr = err
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

func startPostgres(bin, dir, data string, cred *credential) (*Postgres, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning")
	cmd.Env = pgEnv()
	setCredential(cmd, cred)
	p, err := startProcess(cmd, dir, syscall.SIGINT)
	if err != nil {
		return nil, fmt.Errorf("testserver: starting postgres: %w", err)
	}
	pg := &Postgres{Port: port, p: p}
	deadline := time.Now().Add(startTimeout)
	for {
		if p.exited() {
			return nil, fmt.Errorf("testserver: postgres exited: %s", p.output())
		}
		// postmaster.pid's eighth line says "ready" once connections are
		// accepted.
		if b, err := os.ReadFile(filepath.Join(data, "postmaster.pid")); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) >= 8 && strings.TrimSpace(lines[7]) == "ready" {
				return pg, nil
			}
		}
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			<-p.done
			return nil, fmt.Errorf("testserver: postgres not ready within %v: %s", startTimeout, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pgEnv() []string {
	return []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
}

func tail(b []byte) string {
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	return string(b)
}
