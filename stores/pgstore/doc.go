// Package pgstore keeps webhook deduplication and Fractal ID tokens in PostgreSQL.
package pgstore
