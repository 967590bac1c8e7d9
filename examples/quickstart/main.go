// Command quickstart walks through kyc-go end to end.
package main

import (
	"fmt"
	"os"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	fmt.Printf("kyc-go %s\n", kyc.Version)
	level := fractalid.ParseLevel("basic+liveness+wallet-eth")
	fmt.Printf("level %q: base %s, add-ons %v\n", level, level.Base(), level.AddOns())
	fmt.Println("scopes to request:", fractalid.JoinScopes(fractalid.ScopesFor(level, fractalid.WithDetails())))
	return nil
}
