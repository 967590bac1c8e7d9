package ekycadmin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/option"
)

// exampleServer stands in for the EKYC admin API: five users listed two
// per page, and session creation for "user-1" only.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ekyc/admin", func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		page := []map[string]any{}
		for i := start; i < min(start+limit, 5); i++ {
			page = append(page, map[string]any{"id": fmt.Sprintf("user-%d", i), "sessions": map[string]any{
				"0b6c2a7e-key": map[string]any{"id": fmt.Sprintf("veriff-%d", i), "status": []string{"created", "submitted", "approved"}[i%3]},
			}})
		}
		_ = json.NewEncoder(w).Encode(page)
	})
	mux.HandleFunc("POST /ekyc/admin/{userId}/sessions", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("userId") != "user-1" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":400,"error":{"reason":"Person must have a family name."}}`))
			return
		}
		_, _ = w.Write([]byte(`{"sessionToken":"opaque","url":"https://verify.example.com/v/opaque","id":"f04bdb47-d3be-4b28-b028-a652feb060b5","status":"created"}`))
	})
	return httptest.NewServer(mux)
}

func ExampleClient_AllSessions() {
	srv := exampleServer()
	defer srv.Close()

	client, err := ekycadmin.NewClient(
		option.WithBaseURL(srv.URL), // omit for ekycadmin.DefaultBaseURL
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"})), // or WithCredentials(id, secret)
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for user, err := range client.AllSessions(ctx, &ekycadmin.ListOptions{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range user.Sorted() {
			fmt.Printf("%s %s %s final=%v approved=%v\n", user.UserID, e.Session.ID, e.Session.Status,
				e.Session.Status.IsFinal(), e.Session.Status.IsApproved())
		}
	}
	// Output:
	// user-0 veriff-0 created final=false approved=false
	// user-1 veriff-1 submitted final=false approved=false
	// user-2 veriff-2 approved final=true approved=true
	// user-3 veriff-3 created final=false approved=false
	// user-4 veriff-4 submitted final=false approved=false
}

func ExampleClient_CreateSession() {
	srv := exampleServer()
	defer srv.Close()

	client, err := ekycadmin.NewClient(
		option.WithBaseURL(srv.URL),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"})),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	req := &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/kyc/done"}

	// Not retried once sent: on a 5xx or timeout, check UserSessions before trying again.
	session, err := client.CreateSession(ctx, "user-1", req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(session) // prints ids only, never the token or URL
	fmt.Println("send the user to", session.URL)

	_, err = client.CreateSession(ctx, "user-2", req)
	var apiErr *kyc.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	fmt.Println("incomplete name:", errors.Is(err, ekycadmin.ErrInvalidName))
	// Output:
	// ekycadmin.Session{ID:"f04bdb47-d3be-4b28-b028-a652feb060b5" Status:"created"}
	// send the user to https://verify.example.com/v/opaque
	// 400 Person must have a family name.
	// incomplete name: true
}

func ExampleNewClient() {
	// Service credentials: tokens from ekycadmin.DefaultTokenURL (HTTP Basic
	// client authentication, scope "openid"); requests to DefaultBaseURL.
	client, err := ekycadmin.NewClient(
		ekycadmin.WithCredentials("my-client-id", "my-client-secret"),
		ekycadmin.WithAPIKey("my-gateway-key"), // only if the gateway asks for one
		option.WithRetryPolicy(option.DefaultRetryPolicy()),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client)
	// Output: ekycadmin.Client{https://gateway.dev.klustr.io}
}
