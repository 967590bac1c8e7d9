// Package leakcheck runs a package's tests under go.uber.org/goleak: the
// TestMain of every package with tests calls Main.
package leakcheck

import (
	"flag"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main runs the tests and fails the binary if a goroutine outlives them.
// While fuzzing (-fuzz) the check is left out: the fuzzing engine's own
// goroutines may still be winding down when the run returns, and the plain
// test run of the same package already checks for leaks.
func Main(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m)
}
