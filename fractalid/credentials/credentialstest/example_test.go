package credentialstest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/credentials/credentialstest"
)

// A user's test of the proof flow: a fake, a test wallet, a user the fake
// knows by that wallet. The real client fetches the proof for the signed
// message (the user's level covers the one asked for) and the real
// verifier accepts it against the fake's signer.
func Example() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := credentialstest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	w := credentialstest.NewWallet(t)
	srv.AddUser(credentialstest.User{Wallet: w.Address(), Level: fractalid.ParseLevel("plus+liveness")})
	client, _ := credentials.NewClient(srv.ClientOptions()...)

	msg, _ := credentials.BuildMessage(srv.MessageSpec(fractalid.ParseLevel("plus")))
	proof, err := client.GetProof(ctx, msg, w.SignMessage(msg), w.Address())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("credential:", proof.Credential)

	v, _ := credentials.NewVerifier(credentials.WithEnvironmentSigner(srv.Environment()))
	fmt.Println("verified:", v.Verify(proof, w.Address()) == nil)
	fmt.Println("proofs issued:", len(srv.Issued()))
	// Output:
	// credential: level:plus;citizenship_not:;residency_not:
	// verified: true
	// proofs issued: 1
}

// A user still under review, and a level the user has not passed, answer
// 404 with distinct typed errors.
func ExampleServer_SetPending() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := credentialstest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	w := credentialstest.NewWallet(t)
	srv.AddUser(credentialstest.User{Wallet: w.Address(), Level: fractalid.ParseLevel("basic+liveness")})
	srv.SetPending(w.Address(), true)
	client, _ := credentials.NewClient(srv.ClientOptions()...)

	msg, _ := credentials.BuildMessage(srv.MessageSpec(fractalid.ParseLevel("basic")))
	_, err := client.GetProof(ctx, msg, w.SignMessage(msg), w.Address())
	fmt.Println("pending:", errors.Is(err, credentials.ErrUserPending), errors.Is(err, kyc.ErrNotFound))

	msg, _ = credentials.BuildMessage(srv.MessageSpec(fractalid.ParseLevel("plus")))
	_, err = client.GetProof(ctx, msg, w.SignMessage(msg), w.Address())
	fmt.Println("level not passed:", errors.Is(err, credentials.ErrUserNotFound))
	// Output:
	// pending: true true
	// level not passed: true
}

// ScriptError makes the next requests fail with an error code of the
// API, whatever they hold.
func ExampleServer_ScriptError() {
	t := new(testing.T) // in a real test: the test's t

	srv := credentialstest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	w := credentialstest.NewWallet(t)
	srv.AddUser(credentialstest.User{Wallet: w.Address()})
	srv.ScriptError(credentials.CodeInvalidClientID, 1)
	client, _ := credentials.NewClient(srv.ClientOptions()...)

	msg, _ := credentials.BuildMessage(srv.MessageSpec(fractalid.ParseLevel("basic")))
	_, err := client.GetProof(context.Background(), msg, w.SignMessage(msg), w.Address())
	var apiErr *credentials.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, errors.Is(err, credentials.ErrInvalidClientID), errors.Is(err, kyc.ErrBadRequest))
	}
	_, err = client.GetProof(context.Background(), msg, w.SignMessage(msg), w.Address())
	fmt.Println("next request:", err)
	// Output:
	// invalid_client_id true true
	// next request: <nil>
}
