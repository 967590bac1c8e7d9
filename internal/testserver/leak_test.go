package testserver_test

import (
	"testing"

	"github.com/kycgo/kyc/internal/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.Main(m)
}
