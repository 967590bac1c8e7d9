package kyc_test

import (
	"os"
	"strings"
	"testing"
)

// The database drivers belong to the store modules (stores/redisstore,
// stores/pgstore): a program that imports only the SDK's own packages
// must not get them in its build, so the root module never requires them.
func TestRootModuleRequiresNoDatabaseDriver(t *testing.T) {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, driver := range []string{"github.com/redis/go-redis", "github.com/jackc/pgx", "github.com/lib/pq"} {
		if strings.Contains(string(b), driver) {
			t.Errorf("the root go.mod requires %s; database code goes in a module under stores/", driver)
		}
	}
	if !strings.Contains(string(b), "module github.com/kycgo/kyc\n") {
		t.Fatal("not the root go.mod")
	}
}
