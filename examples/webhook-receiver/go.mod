module github.com/kycgo/kyc/examples/webhook-receiver

go 1.25.0

replace (
	github.com/kycgo/kyc => ../..
	github.com/kycgo/kyc/stores/pgstore => ../../stores/pgstore
	github.com/kycgo/kyc/stores/redisstore => ../../stores/redisstore
)

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/kycgo/kyc v0.0.0-00010101000000-000000000000
	github.com/kycgo/kyc/stores/pgstore v0.0.0-00010101000000-000000000000
	github.com/kycgo/kyc/stores/redisstore v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.22.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	go.opentelemetry.io/otel v1.46.0 // indirect
	go.opentelemetry.io/otel/trace v1.46.0 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
