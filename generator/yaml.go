package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yq writes a scalar as YAML that every YAML reader, PyYAML's 1.1 rules
// included, reads back as the same value: strings double-quoted (a JSON
// string is a valid YAML double-quoted scalar), floats always with a dot.
func yq(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case string:
		if !utf8.ValidString(x) {
			return "", fmt.Errorf("value %q is not valid UTF-8", x)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return "", err
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case *int:
		if x == nil {
			return "null", nil
		}
		return strconv.Itoa(*x), nil
	case float64:
		return yamlFloat(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return strconv.FormatInt(i, 10), nil
		}
		f, err := x.Float64()
		if err != nil {
			return "", err
		}
		return yamlFloat(f)
	}
	return "", fmt.Errorf("cannot write %T as a YAML scalar", v)
}

func yamlFloat(f float64) (string, error) {
	switch {
	case math.IsNaN(f):
		return ".nan", nil
	case math.IsInf(f, 1):
		return ".inf", nil
	case math.IsInf(f, -1):
		return "-.inf", nil
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatFloat(f, 'f', 1, 64), nil
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if hasExp {
		return mant + "e" + exp, nil
	}
	return mant, nil
}

// yamlValue writes v as the value of a key: " scalar", " {}" and " []" on
// the key's line, or a newline and a block indented by indent spaces.
// Map keys are sorted and quoted.
func yamlValue(indent int, v any) (string, error) {
	var b strings.Builder
	if err := writeYAML(&b, indent, normalize(v), true); err != nil {
		return "", err
	}
	return b.String(), nil
}

// normalize turns typed maps and slices into map[string]any and []any.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, int64, float64, json.Number:
		return v
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case *int:
		if x == nil {
			return nil
		}
		return int64(*x)
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case *bool:
		if x == nil {
			return nil
		}
		return *x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		out := map[string]any{}
		for _, k := range rv.MapKeys() {
			out[fmt.Sprint(k.Interface())] = normalize(rv.MapIndex(k).Interface())
		}
		return out
	case reflect.Slice:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	}
	return v
}

func writeYAML(b *strings.Builder, indent int, v any, inline bool) error {
	pad := strings.Repeat(" ", indent)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			qk, err := yq(k)
			if err != nil {
				return err
			}
			b.WriteString("\n" + pad + qk + ":")
			if err := writeYAML(b, indent+2, x[k], true); err != nil {
				return err
			}
		}
		return nil
	case []any:
		if len(x) == 0 {
			b.WriteString(" []")
			return nil
		}
		for _, item := range x {
			b.WriteString("\n" + pad + "-")
			if m, ok := item.(map[string]any); ok && len(m) > 0 {
				// The first key goes on the dash's line.
				var inner strings.Builder
				if err := writeYAML(&inner, indent+2, m, true); err != nil {
					return err
				}
				b.WriteString(" " + strings.TrimPrefix(inner.String(), "\n"+pad+"  "))
				continue
			}
			if err := writeYAML(b, indent+2, item, true); err != nil {
				return err
			}
		}
		return nil
	}
	s, err := yq(v)
	if err != nil {
		return err
	}
	b.WriteString(" " + s)
	return nil
}
