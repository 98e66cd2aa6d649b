package summary

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/contract"
)

// A Filter keeps or drops requests before they are counted, by the values
// of their dimensions, as contract.ParseFilter describes. The zero Filter
// keeps every request. A Filter does not change once parsed and is safe
// for concurrent use.
type Filter struct {
	include, exclude []condition
	// the filters as parsed, normalized, for the summaries' metadata
	includeText, excludeText string
}

// condition is one clause: the value of dim is one of values.
type condition struct {
	dim    Dimension
	values []string
}

// ParseFilter parses an include and an exclude filter. Every problem is
// reported, each after "include: " or "exclude: ".
func ParseFilter(include, exclude string) (Filter, error) {
	var f Filter
	var errs []error
	var err error
	if f.include, f.includeText, err = parseConditions(include); err != nil {
		errs = append(errs, fmt.Errorf("include: %w", err))
	}
	if f.exclude, f.excludeText, err = parseConditions(exclude); err != nil {
		errs = append(errs, fmt.Errorf("exclude: %w", err))
	}
	if len(errs) > 0 {
		return Filter{}, errors.Join(errs...)
	}
	return f, nil
}

func parseConditions(filter string) ([]condition, string, error) {
	clauses, err := contract.ParseFilter(filter)
	if err != nil {
		return nil, "", err
	}
	var conds []condition
	var text []string
	for _, c := range clauses {
		dims, err := ParseDimensions(c.Dimension)
		if err != nil {
			return nil, "", err
		}
		conds = append(conds, condition{dim: dims[0], values: c.Values})
		text = append(text, c.Dimension+"="+strings.Join(c.Values, contract.ValueSeparator))
	}
	return conds, strings.Join(text, contract.ClauseSeparator), nil
}

// MustParseFilter is ParseFilter for filters known to be valid; it panics
// otherwise. It exists for tests.
func MustParseFilter(include, exclude string) Filter {
	f, err := ParseFilter(include, exclude)
	if err != nil {
		panic(err)
	}
	return f
}

// KeepsAll reports whether f keeps every request.
func (f Filter) KeepsAll() bool { return len(f.include) == 0 && len(f.exclude) == 0 }

// Include and Exclude are the filters f was parsed from, normalized:
// spaces trimmed, "" when empty.
func (f Filter) Include() string { return f.includeText }
func (f Filter) Exclude() string { return f.excludeText }

// Keep reports whether r is to be counted: it matches every include
// clause and no exclude clause.
func (f Filter) Keep(r *accesslog.Record) bool {
	if f.KeepsAll() {
		return true
	}
	var buf [256]byte // on the stack: Keep has no state to keep
	for _, c := range f.include {
		if !c.matches(buf[:0], r) {
			return false
		}
	}
	for _, c := range f.exclude {
		if c.matches(buf[:0], r) {
			return false
		}
	}
	return true
}

func (c condition) matches(buf []byte, r *accesslog.Record) bool {
	v := appendValue(buf, c.dim, r)
	for _, want := range c.values {
		if string(v) == want || c.dim.kind == dimAction && hasAction(v, want) {
			return true
		}
	}
	return false
}

// hasAction reports whether the comma list of actions holds action.
func hasAction(actions []byte, action string) bool {
	for len(actions) > 0 {
		var a []byte
		a, actions, _ = bytes.Cut(actions, []byte(","))
		if string(a) == action {
			return true
		}
	}
	return false
}
