module github.com/kycgo/kyc/stores/pgstore

go 1.25.0

replace github.com/kycgo/kyc => ../..
