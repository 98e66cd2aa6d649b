package contract

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseGroupBy: a list that parses gives names that parse again, joined,
// to the same names; nothing panics.
func FuzzParseGroupBy(f *testing.F) {
	for _, s := range []string{DefaultGroupBy, " date , query:ev ", "date,,path", "query:", "x,x", "hour,action,bot,query:a b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		names, err := ParseGroupBy(list)
		if err != nil {
			if names != nil {
				t.Fatalf("ParseGroupBy(%q) = %q with error %v", list, names, err)
			}
			return
		}
		if len(names) == 0 {
			t.Fatalf("ParseGroupBy(%q) accepted no dimension", list)
		}
		again, err := ParseGroupBy(strings.Join(names, ","))
		if err != nil || !slices.Equal(again, names) {
			t.Fatalf("ParseGroupBy(%q) = %q, but its join parses to %q, %v", list, names, again, err)
		}
	})
}

// FuzzParseFilter: a filter that parses gives clauses on known dimensions
// with trimmed values, which written back parse to the same clauses.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"action=redirect", "bot=yes;method=GET|POST", "query:ev=", " path = /e | /t.js ;status=204", "bot=maybe", "x", ";", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		clauses, err := ParseFilter(filter)
		if err != nil {
			return
		}
		var parts []string
		for _, c := range clauses {
			if len(c.Values) == 0 {
				t.Fatalf("ParseFilter(%q): clause %q has no value", filter, c.Dimension)
			}
			if _, err := ParseGroupBy(c.Dimension); err != nil {
				t.Fatalf("ParseFilter(%q): dimension %q: %v", filter, c.Dimension, err)
			}
			for _, v := range c.Values {
				if v != strings.TrimSpace(v) {
					t.Fatalf("ParseFilter(%q): value %q not trimmed", filter, v)
				}
			}
			parts = append(parts, c.Dimension+"="+strings.Join(c.Values, ValueSeparator))
		}
		again, err := ParseFilter(strings.Join(parts, ClauseSeparator))
		if err != nil || !slices.EqualFunc(again, clauses, func(a, b Clause) bool {
			return a.Dimension == b.Dimension && slices.Equal(a.Values, b.Values)
		}) {
			t.Fatalf("ParseFilter(%q) = %v, but written back parses to %v, %v", filter, clauses, again, err)
		}
	})
}
