package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ContextKey is the CDK context key that sets the Props field named
// field: the name in lowerCamelCase, with a leading initialism lowered
// whole ("GroupBy" → "groupBy", "SslPolicy" → "sslPolicy",
// "HTTPSPort" → "httpsPort").
func ContextKey(field string) string {
	r := []rune(field)
	n := 0 // leading upper-case runes
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) {
		n-- // the last of them starts the next word
	}
	for i := range n {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// ContextKeys lists the context key of every Props field that context can
// set, in the order of the fields.
func ContextKeys() []string {
	var keys []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Props]()) {
		if fromContext(f.Type) {
			keys = append(keys, ContextKey(f.Name))
		}
	}
	return keys
}

// PropsFromContext returns the Props that CDK context sets, so that a
// deployment is configured with `cdk deploy -c groupBy=date,query:ev`
// and without code. Every field of Props that holds text, a whole number,
// a boolean or a time.Duration (named types of these included, like
// SslPolicy) is set by the value under its ContextKey. A value is a
// string, as `-c key=value` gives it, or a JSON value of the field's kind,
// as cdk.json may give it; durations are strings like "15m".
//
// Other context keys are left to their owners, except those that look
// like a mistaken prop key (another case, a letter or two off, a prop
// that context cannot set): they are errors too. Every problem is
// reported at once, each naming its key. The result is not validated.
func PropsFromContext(context map[string]any) (*Props, error) {
	var p Props
	v := reflect.ValueOf(&p).Elem()
	var errs []error
	fields := reflect.VisibleFields(v.Type())
	for _, key := range slices.Sorted(maps.Keys(context)) {
		f, ok := fieldFor(fields, key)
		if !ok {
			if err := unknownKey(fields, key); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := setFromContext(v.FieldByIndex(f.Index), context[key]); err != nil {
			errs = append(errs, fmt.Errorf("context key %q (%s): %w", key, f.Name, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &p, nil
}

var durationType = reflect.TypeFor[time.Duration]()

// fromContext reports whether context can set a field of type t
// (time.Duration is an int64).
func fromContext(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// fieldFor returns the field context key sets.
func fieldFor(fields []reflect.StructField, key string) (reflect.StructField, bool) {
	for _, f := range fields {
		if f.IsExported() && fromContext(f.Type) && ContextKey(f.Name) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// setFromContext sets field from a context value.
func setFromContext(field reflect.Value, value any) error {
	t := field.Type()
	switch {
	case t == durationType:
		s, ok := value.(string)
		d, err := time.ParseDuration(s)
		if !ok || err != nil {
			return fmt.Errorf("%s is not a duration (such as 90s, 15m or 1h)", show(value))
		}
		field.SetInt(int64(d))
	case t.Kind() == reflect.String:
		s, ok := value.(string)
		if !ok {
			return fmt.Errorf("%s is not text", show(value))
		}
		field.SetString(s)
	case t.Kind() == reflect.Bool:
		b, ok := value.(bool)
		if s, isString := value.(string); isString {
			var err error
			b, err = strconv.ParseBool(s)
			ok = err == nil
		}
		if !ok {
			return fmt.Errorf("%s is not true or false", show(value))
		}
		field.SetBool(b)
	default: // the integer kinds
		var n int64
		var err error
		switch x := value.(type) {
		case string:
			n, err = strconv.ParseInt(x, 10, t.Bits())
		case float64:
			if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
				err = strconv.ErrRange
			}
			n = int64(x)
		default:
			err = strconv.ErrSyntax
		}
		if err != nil || field.OverflowInt(n) {
			return fmt.Errorf("%s is not a whole number", show(value))
		}
		field.SetInt(n)
	}
	return nil
}

// show writes a context value as the user wrote it.
func show(value any) string {
	if s, ok := value.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", value)
}

// propLike matches the shape of a prop's key; other context keys
// (feature flags "@aws-cdk/…", the CLI's "aws:cdk:…", lookups
// "hosted-zone:…") are never taken for one.
var propLike = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)

// unknownKey explains a context key that sets no prop, if it looks like
// a mistake: the key of a prop context cannot set, or one close to a
// prop's key.
func unknownKey(fields []reflect.StructField, key string) error {
	if !propLike.MatchString(key) {
		return nil
	}
	best, bestDistance := "", 3
	for _, f := range fields {
		if !f.IsExported() {
			continue
		}
		k := ContextKey(f.Name)
		if k == key {
			return fmt.Errorf("context key %q: %s (%v) cannot be set from context, only in code", key, f.Name, f.Type)
		}
		if !fromContext(f.Type) {
			continue
		}
		lk, lkey := strings.ToLower(k), strings.ToLower(key)
		d := distance(lk, lkey)
		if len(lkey) >= 4 && strings.HasPrefix(lk, lkey) {
			d = min(d, 1)
		}
		if d < bestDistance {
			best, bestDistance = k, d
		}
	}
	if best == "" {
		return nil
	}
	return fmt.Errorf("context key %q sets nothing: did you mean %q?", key, best)
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
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
