package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kycgo/kyc/webhooks"
)

// Verify checks the raw body against the X-Fractal-Signature header with
// the webhook secret token of the notification type.
func ExampleVerify() {
	// In a handler: body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	// and signature := r.Header.Get(webhooks.SignatureHeader). Verify these
	// raw bytes; never a decoded and re-encoded body.
	body := []byte(`{"type":"verification_approved","data":{"level":"basic","user_id":"b5c5a2cd-643e-444b-9591-e7b25fec997d","timestamp":"2020-10-09T10:50:32Z"}}`)
	signature := "sha1=9e581dd775e5ba87e9839b595d6eb0d784ecfdb6"
	secret := "9d7e80c0f169ab94d34392d64617b7517fb07c40" // webhook secret token, not the OAuth client secret

	if err := webhooks.Verify(body, signature, secret); err != nil {
		fmt.Println("refused:", err)
		return
	}
	ev, err := webhooks.Parse(body)
	if err != nil {
		fmt.Println("bad payload:", err)
		return
	}
	fmt.Println(ev.Type, ev.Verification.Level, ev.Verification.UserID)

	tampered := []byte(strings.Replace(string(body), "basic", "plus", 1))
	err = webhooks.Verify(tampered, signature, secret)
	fmt.Println(errors.Is(err, webhooks.ErrSignatureMismatch))
	// Output:
	// verification_approved basic b5c5a2cd-643e-444b-9591-e7b25fec997d
	// true
}

// NewHandler serves a callback URL: it verifies, parses and calls the
// function, answering 200 only when the function succeeded.
func ExampleNewHandler() {
	verifier, err := webhooks.NewVerifier(
		// One secret token per notification type, as in the Fractal dashboard;
		// two during a rotation.
		webhooks.WithSecret(webhooks.EventVerificationApproved, "approved-token-old", "approved-token-new"),
		webhooks.WithSecret(webhooks.EventVerificationRejected, "rejected-token"),
	)
	if err != nil {
		panic(err)
	}
	handler := webhooks.NewHandler(verifier, func(ctx context.Context, ev *webhooks.Event) error {
		switch ev.Type {
		case webhooks.EventVerificationApproved:
			fmt.Println("approved:", ev.UserID(), ev.Level(), ev.Timestamp().Time.Format("2006-01-02"))
		case webhooks.EventVerificationRejected:
			fmt.Println("rejected:", ev.UserID(), ev.Level())
		}
		return nil // an error answers 500 and Fractal retries
	}, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)))

	mux := http.NewServeMux()
	mux.Handle("/webhooks/fractal", handler)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// What Fractal sends (here signed with the new token), delivered twice.
	body := `{"type":"verification_approved","data":{"level":"basic","user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","timestamp":"2020-04-02T13:35:35Z"}}`
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/fractal", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(body), "approved-token-new"))
		res, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		reply, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, len(reply), "bytes")
	}

	// A forged notification never reaches the function.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/fractal", strings.NewReader(body))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(body), "guessed"))
	res, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	reply, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, string(reply))
	srv.Client().CloseIdleConnections()
	// Output:
	// approved: 14ec6af0-12f8-4bce-a6ab-01ce87fa1812 basic 2020-04-02
	// 200 0 bytes
	// 200 0 bytes
	// 401 {"error":"invalid_signature"}
}
