// Package redacttest checks that a redacting model does not leak through
// its parts. A type such as fractalid.User prints no personal data, but a
// caller can just as easily log u.Emails or data.Info; those values must
// not print more than the whole does.
//
// Nested fills every exported string of a model with a distinct marker,
// renders the model with every fmt verb and both slog handlers, and then
// renders every struct, pointer-to-struct, and slice or map of them
// reachable through exported fields the same way. A part may show a
// marker only if the whole shows it too (the type's chosen summary, such
// as a status). Leaves (strings, numbers, []byte, json.RawMessage and
// slices or maps of leaves) are the caller's explicit choice to print and
// are not checked.
package redacttest

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Nested fills *model (a pointer to a struct) with markers and fails t for
// every part that shows a marker the whole does not. public names fields
// that are not personal data or secrets (an id, a status, a URL of the
// environment) and that a part may print although the whole does not.
func Nested(t testing.TB, model any, public ...string) {
	t.Helper()
	v := reflect.ValueOf(model)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		t.Fatalf("redacttest.Nested wants a pointer to a struct, got %T", model)
	}
	f := &filler{where: map[string]string{}}
	f.fill(v.Elem(), v.Elem().Type().String())
	if len(f.where) == 0 {
		t.Fatalf("%T has no exported string to mark", model)
	}
	allowed := f.shown(v.Elem().Interface())
	for _, m := range f.shown(model) {
		if !slices.Contains(allowed, m) {
			allowed = append(allowed, m)
		}
	}
	parts := 0
	walk(v.Elem(), v.Elem().Type().String(), func(path string, part reflect.Value) {
		parts++
		for _, m := range f.shown(part.Interface()) {
			if !slices.Contains(allowed, m) && !slices.Contains(public, leaf(f.where[m])) {
				t.Errorf("%s prints %s (%s), which %T does not print", path, f.where[m], how(part.Interface(), m), model)
			}
		}
	})
	if parts == 0 {
		t.Fatalf("%T has no nested struct, slice or map to check", model)
	}
}

// leaf is the last field name of a path such as T.A[1].B["key"]: "B".
func leaf(path string) string {
	for strings.HasSuffix(path, "]") {
		path = path[:strings.LastIndexByte(path, '[')]
	}
	return path[strings.LastIndexByte(path, '.')+1:]
}

// marker matches the values fill writes.
var marker = regexp.MustCompile(`Rx[0-9]{4}x`)

type filler struct {
	n     int
	where map[string]string // marker -> field path
}

func (f *filler) next(path string) string {
	f.n++
	m := fmt.Sprintf("Rx%04dx", f.n)
	f.where[m] = path
	return m
}

func (f *filler) fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(f.next(path))
		}
	case reflect.Bool:
		if v.CanSet() {
			v.SetBool(true)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.CanSet() {
			v.SetInt(7)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if sf.IsExported() {
				f.fill(v.Field(i), path+"."+sf.Name)
			}
		}
	case reflect.Pointer:
		if v.CanSet() && v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			f.fill(v.Elem(), path)
		}
	case reflect.Slice:
		if !v.CanSet() {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// Raw JSON as sent: a JSON string holding a marker.
			v.SetBytes([]byte(`"` + f.next(path) + `"`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if !v.CanSet() || v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		k.SetString("key")
		e := reflect.New(v.Type().Elem()).Elem()
		f.fill(e, path+`["key"]`)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// shown lists the markers x shows in any fmt verb or slog handler.
func (f *filler) shown(x any) []string {
	var out []string
	for _, r := range renders(x) {
		for _, m := range marker.FindAllString(r.out, -1) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

type render struct{ how, out string }

// renders gives x as every fmt verb and both slog handlers print it.
func renders(x any) []render {
	var rs []render
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		rs = append(rs, render{verb, fmt.Sprintf(verb, x)})
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "x", x)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "x", x)
	return append(rs, render{"slog text", text.String()}, render{"slog JSON", js.String()})
}

// how names the renderings of x that show m.
func how(x any, m string) string {
	var hs []string
	for _, r := range renders(x) {
		if strings.Contains(r.out, m) {
			hs = append(hs, r.how)
		}
	}
	return strings.Join(hs, ", ")
}

// composite reports whether a value of t is a part to check: a struct, a
// pointer to one, or a slice or map whose elements are parts.
func composite(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return composite(t.Elem())
	}
	return false
}

// walk calls visit for every part below v (not v itself).
func walk(v reflect.Value, path string, visit func(string, reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), path, visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() || !composite(sf.Type) {
				continue
			}
			fv := v.Field(i)
			p := path + "." + sf.Name
			visit(p, fv)
			if fv.Kind() == reflect.Struct && fv.CanAddr() {
				visit("&"+p, fv.Addr())
			}
			walk(fv, p, visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			p := fmt.Sprintf("%s[%d]", path, i)
			if composite(v.Index(i).Type()) {
				visit(p, v.Index(i))
			}
			walk(v.Index(i), p, visit)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			p := fmt.Sprintf("%s[%q]", path, it.Key().String())
			if composite(it.Value().Type()) {
				visit(p, it.Value())
			}
			walk(it.Value(), p, visit)
		}
	}
}
