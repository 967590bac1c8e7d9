package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/credentials/credentialstest"
)

func ExampleBuildMessage() {
	msg, err := credentials.BuildMessage(credentials.MessageSpec{
		ApplicationName: "Defistarter",
		ClientID:        "dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd",
		Type:            credentials.KYC,
		Level:           fractalid.ParseLevel("plus+liveness"),
		NotCitizenOf:    []credentials.Country{"DE"},
		NotResidentOf:   []credentials.Country{"CA", "DE", "US"},
		DataAccess:      true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg)

	// Before any request: basic allows no residency list.
	_, err = credentials.BuildMessage(credentials.MessageSpec{
		ApplicationName: "Defistarter", ClientID: "dc3a", Level: fractalid.ParseLevel("basic"),
		NotResidentOf: []credentials.Country{"US"},
	})
	fmt.Println(errors.Is(err, credentials.ErrInvalidConfiguration))
	// Output:
	// I authorize Defistarter (dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd) to get a proof from Fractal that:
	// - I passed KYC level plus+liveness
	// - I am not a citizen of the following countries: Germany (DE)
	// - I am not a resident of the following countries: Canada (CA), Germany (DE), United States of America (US)
	// I also allow access to my data that was used to pass this level.
	// true
}

// Example runs the whole path against the fake: the message, the wallet's
// signature (done by the user's wallet in a real dApp), the proof request,
// and the off-chain verification a back end does.
func Example() {
	srv, err := credentialstest.Start() // in a test: credentialstest.NewServer(t)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	wallet, _ := credentials.GeneratePrivateKey()
	srv.AddUser(credentialstest.User{Wallet: wallet.Address(), Level: fractalid.ParseLevel("plus+liveness"), Citizenship: []credentials.Country{"FR"}})

	// 1. The dApp builds the message and the user's wallet signs it (personal_sign).
	spec := srv.MessageSpec(fractalid.ParseLevel("plus"))
	spec.NotCitizenOf = []credentials.Country{"US"}
	msg, err := credentials.BuildMessage(spec)
	if err != nil {
		log.Fatal(err)
	}
	sig := wallet.SignPersonal([]byte(msg))

	// 2. Ask Fractal (here the fake) for the proof. Against Fractal:
	// credentials.NewClient(credentials.WithEnvironment(credentials.Production())).
	client, err := credentials.NewClient(srv.ClientOptions()...)
	if err != nil {
		log.Fatal(err)
	}
	proof, err := client.GetProof(context.Background(), msg, sig, wallet.Address())
	switch {
	case errors.Is(err, credentials.ErrUserNotFound), errors.Is(err, credentials.ErrUserPending):
		fmt.Println("not verified (yet)")
		return
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("credential:", proof.Credential)

	// 3. A back end given the proof checks it without calling Fractal.
	// Against Fractal: credentials.WithEnvironmentSigner(credentials.Production()).
	verifier, err := credentials.NewVerifier(credentials.WithEnvironmentSigner(srv.Environment()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", verifier.Verify(proof, wallet.Address()) == nil)

	// A user who does not meet the requirements.
	stranger, _ := credentials.GeneratePrivateKey()
	_, err = client.GetProof(context.Background(), msg, stranger.SignPersonal([]byte(msg)), stranger.Address())
	fmt.Println("stranger:", errors.Is(err, credentials.ErrUserNotFound))
	// Output:
	// credential: level:plus;citizenship_not:us;residency_not:
	// verified: true
	// stranger: true
}
