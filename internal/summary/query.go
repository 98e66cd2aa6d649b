package summary

import (
	"bytes"

	"github.com/pmdp/pmdp/internal/accesslog"
)

// appendQueryValue appends the first value of parameter name in query,
// percent-decoded with "+" as a space, as net/url.ParseQuery would give it
// for any name, the empty one included: empty pairs (`&&`) are skipped,
// `=v` is a value of the parameter named "". Parameter names are compared
// after decoding. A value whose percent-encoding is invalid is appended as
// logged; an absent parameter appends nothing.
func appendQueryValue(dst, query []byte, name string) []byte {
	for len(query) > 0 {
		var pair []byte
		if i := bytes.IndexByte(query, '&'); i >= 0 {
			pair, query = query[:i], query[i+1:]
		} else {
			pair, query = query, nil
		}
		if len(pair) == 0 {
			continue // net/url skips these; they name no parameter
		}
		key, value, _ := bytes.Cut(pair, []byte("="))
		if !keyMatches(key, name) {
			continue
		}
		if decoded, ok := appendUnescapedQuery(dst, value); ok {
			return decoded
		}
		return append(dst, value...)
	}
	return dst
}

func keyMatches(key []byte, name string) bool {
	if bytes.IndexByte(key, '%') < 0 && bytes.IndexByte(key, '+') < 0 {
		return string(key) == name
	}
	if len(key) < len(name) {
		return false // decoding only shortens
	}
	var buf [128]byte
	decoded, ok := appendUnescapedQuery(buf[:0], key)
	return ok && string(decoded) == name
}

// appendUnescapedQuery decodes %XX escapes and "+" in a query component.
// It reports false, leaving dst's contents beyond its length unspecified,
// when an escape is malformed.
func appendUnescapedQuery(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			if i+2 >= len(s) {
				return dst, false
			}
			hi, ok1 := accesslog.UnhexDigit(s[i+1])
			lo, ok2 := accesslog.UnhexDigit(s[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}
