// Package logvalue gives collections of redacting models a safe slog value.
//
// slog's JSON handler encodes a slice or map with encoding/json, which
// calls each element's MarshalJSON (the element's data, for storage) and
// never its LogValue. A named slice or map type whose LogValue uses these
// helpers logs each element's String instead, which prints no personal
// data, through every handler.
package logvalue

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
)

// Slice logs s as a list of its elements' String.
func Slice[T fmt.Stringer](s []T) slog.Value {
	out := make([]string, len(s))
	for i, e := range s {
		out[i] = e.String()
	}
	return slog.AnyValue(out)
}

// Map logs m as an object from each key to its value's String, keys sorted.
func Map[K ~string, V fmt.Stringer](m map[K]V) slog.Value {
	attrs := make([]slog.Attr, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		attrs = append(attrs, slog.String(string(k), m[k].String()))
	}
	return slog.GroupValue(attrs...)
}
