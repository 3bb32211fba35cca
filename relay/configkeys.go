package relay

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/dispatch"
)

// ConfigKey is one key of the configuration file, as configs/README.md
// lists it.
type ConfigKey struct {
	Path    string // "carrier.password_file"; an array of tables is named once
	Table   string // the table it sits in: "", "carrier", "kakao.simulate"
	Array   bool   // the table is an array of tables ([[carrier]])
	Type    string // TOML type: string, integer, float, boolean, duration, array of strings, ...
	Default string // the value a key left out takes, when it is not zero
	Field   reflect.StructField
	Owner   reflect.Type // the struct the field belongs to
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// ConfigKeys lists every key of the configuration file, walking Config's
// toml tags, in file order. Defaults are what SetDefaults fills in (for an
// array of tables, in an entry left empty).
func ConfigKeys() []ConfigKey {
	var c Config
	c.Carriers = make([]dispatch.CarrierConfig, 1) // the only array whose entries get defaults
	c.setDefaults()
	u := c.Upstream.server().WithDefaults()
	c.Upstream.MaxFrameSize, c.Upstream.BindTimeout, c.Upstream.IdleTimeout = u.MaxFrameSize, Duration(u.BindTimeout), Duration(u.IdleTimeout)
	c.Upstream.MaxConns, c.Upstream.MaxConnsPerCustomer, c.Upstream.MaxInFlight = u.MaxConns, u.MaxConnsPerCustomer, u.MaxInFlight
	var keys []ConfigKey
	walkKeys(reflect.ValueOf(c), "", false, &keys)
	return keys
}

func walkKeys(v reflect.Value, table string, array bool, keys *[]ConfigKey) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		path := name
		if table != "" {
			path = table + "." + name
		}
		fv := v.Field(i)
		ft := f.Type
		switch {
		case isTable(ft):
			walkKeys(fv, path, false, keys)
			continue
		case ft.Kind() == reflect.Slice && isTable(ft.Elem()):
			if fv.Len() == 0 {
				fv = reflect.MakeSlice(ft, 1, 1)
			}
			walkKeys(fv.Index(0), path, true, keys)
			continue
		}
		*keys = append(*keys, ConfigKey{Path: path, Table: table, Array: array, Type: tomlType(ft),
			Default: defaultOf(fv), Field: f, Owner: t})
	}
}

// isTable reports whether a Go type is written as a TOML table.
func isTable(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(textUnmarshaler) && t != reflect.TypeOf(time.Time{})
}

func tomlType(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(Duration(0)) || t == reflect.TypeOf(time.Duration(0)):
		return "duration"
	case t.String() == "settle.Price":
		return "number"
	case reflect.PointerTo(t).Implements(textUnmarshaler):
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Slice:
		return "array of " + tomlType(t.Elem()) + "s"
	case reflect.Map:
		return "table of " + tomlType(t.Elem()) + "s"
	}
	return t.String()
}

func defaultOf(v reflect.Value) string {
	if v.IsZero() {
		return ""
	}
	if d, ok := v.Interface().(Duration); ok {
		return time.Duration(d).String()
	}
	if d, ok := v.Interface().(time.Duration); ok {
		return d.String()
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	if v.Kind() == reflect.String {
		return fmt.Sprintf("%q", v.String())
	}
	if v.Kind() == reflect.Map {
		ks := v.MapKeys()
		parts := make([]string, 0, len(ks))
		for _, k := range ks {
			parts = append(parts, fmt.Sprintf("%v = %v", k, v.MapIndex(k)))
		}
		sort.Strings(parts)
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return fmt.Sprint(v.Interface())
}

// didYouMean names the known key closest to an unknown one, or "" when
// none is close: at most a third of the key's letters differ.
func didYouMean(unknown string, keys []ConfigKey) string {
	best, bestD := "", len(unknown)/3+1
	for _, k := range keys {
		if d := editDistance(unknown, k.Path); d < bestD {
			best, bestD = k.Path, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
