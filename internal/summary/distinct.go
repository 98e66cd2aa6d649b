package summary

import (
	"strings"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/hll"
)

// MaxDistinctGroups caps a Summary that counts distinct values, whatever
// its MaxGroups: each group's sketch takes up to 4 KiB once dense, so
// 20,000 groups take at most 80 MiB of sketches (the function has 1 GiB,
// and a log file seldom spans more than two dates, each a Summary of its
// own). With the default MaxGroups of 100,000 all dense, they would take
// 400 MiB.
const MaxDistinctGroups = 20_000

// A Distinct is what a Summary counts the distinct values of, each row
// in a HyperLogLog sketch (package hll). The zero value counts none.
//
//   - visitor: the line's client IP, a space and its user agent as logged
//     (ALB's escapes kept, "-" when absent), so "203.0.113.9 curl/8.5.0":
//     the bytes of concat(client_ip, ' ', user_agent) over Athena's table
//     of ALB logs. A line without a client IP adds nothing.
//   - query:NAME: the first value of query parameter NAME, as the
//     query:NAME dimension gives it (percent-decoded). A line whose value
//     is absent or empty adds nothing: it is counted in its row, and the
//     row's distinct count does not see it.
type Distinct struct {
	name  string
	query Dimension // the query:NAME dimension; zero for visitor
}

// ParseDistinct parses what to count the distinct values of: "" (none),
// "visitor" or "query:NAME"; the rules are contract.ValidateDistinct's.
func ParseDistinct(s string) (Distinct, error) {
	if err := contract.ValidateDistinct(s); err != nil {
		return Distinct{}, err
	}
	d := Distinct{name: s}
	if param, ok := strings.CutPrefix(s, contract.QueryPrefix); ok {
		d.query = Dimension{name: s, kind: dimQuery, param: param}
	}
	return d, nil
}

// MustParseDistinct is ParseDistinct for values known to be valid; it
// panics otherwise. It exists for tests.
func MustParseDistinct(s string) Distinct {
	d, err := ParseDistinct(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String is d as ParseDistinct reads it; "" for none.
func (d Distinct) String() string { return d.name }

// On tells whether d counts anything.
func (d Distinct) On() bool { return d.name != "" }

// appendDistinct appends the value r adds to d's sketch; nothing when it
// has none.
func (x *extractor) appendDistinct(dst []byte, d Distinct, r *accesslog.Record) []byte {
	if d.query.kind == dimQuery {
		return x.appendValue(dst, d.query, r)
	}
	if len(r.Client) == 0 {
		return dst
	}
	dst = append(dst, r.Client...)
	dst = append(dst, ' ')
	return append(dst, orDash(r.UserAgent)...)
}

// mergeSketch merges src, if any, into dst. Every sketch of a Summary has
// 4096 buckets (the Reader refuses others), so merging cannot fail.
func mergeSketch(dst, src *hll.Sketch) {
	if src != nil {
		_ = dst.Merge(src)
	}
}
