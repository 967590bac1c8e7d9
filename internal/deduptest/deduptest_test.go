package deduptest_test

import (
	"testing"

	"github.com/kycgo/kyc/internal/deduptest"
	"github.com/kycgo/kyc/internal/leakcheck"
	"github.com/kycgo/kyc/webhooks"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// The in-memory deduplicator passes the suite when both "replicas" share it.
func TestMemoryDeduplicator(t *testing.T) {
	d := webhooks.NewMemoryDeduplicator(0, 0)
	res := deduptest.Shared(t, d, d, 100, 10)
	if res.Runs != 100 || res.Deliveries != 1000 {
		t.Fatalf("%+v", res)
	}
	deduptest.FailureReleases(t, d, d, 500)
}

// Two separate in-memory deduplicators do not share anything: the suite
// sees the duplicates, which shows it can tell.
func TestSeparateMemoryDeduplicatorsAreCaught(t *testing.T) {
	ft := &fakeTB{TB: t}
	deduptest.Shared(ft, webhooks.NewMemoryDeduplicator(0, 0), webhooks.NewMemoryDeduplicator(0, 0), 20, 10)
	if !ft.failed {
		t.Fatal("two unshared deduplicators passed the shared-delivery check")
	}
}

type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Errorf(string, ...any) { f.failed = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }
func (f *fakeTB) Helper()               {}
