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

// FuzzBackfillRange: a range that NewBackfillInput accepts gives dates that
// all lie under its DatePrefix and are covered by a batch of the same
// range, and the input validates; a key's date, when KeyDate finds one, is
// a real date that the folder path spells.
func FuzzBackfillRange(f *testing.F) {
	f.Add("2025-03-07", "2025-03-09", "p/2025/03/08/f")
	f.Add("2024-12-31", "2025-01-01", "2025/01/01/f")
	f.Add("2025-02-28", "2025-02-29", "p/2025/02/29/f")
	f.Add("2025-3-7", "", "p/2025/13/01/f")
	f.Fuzz(func(t *testing.T, from, to, key string) {
		if date, ok := KeyDate(key); ok {
			folder := strings.ReplaceAll(date, "-", "/") + "/"
			if !strings.Contains(key, folder) {
				t.Fatalf("KeyDate(%q) = %q, which the key does not spell", key, date)
			}
		}
		in, err := NewBackfillInput(from, to)
		if err != nil {
			return
		}
		if err := in.Validate(); err != nil {
			t.Fatalf("NewBackfillInput(%q, %q) does not validate: %v", from, to, err)
		}
		batch := BackfillBatchInput{Op: BackfillOp, Bucket: "b", From: from, To: to}
		for _, d := range []string{in.Dates[0], in.Dates[len(in.Dates)-1]} {
			key := "p/" + strings.ReplaceAll(d, "-", "/") + "/f"
			if !strings.HasPrefix(strings.TrimPrefix(key, "p/"), in.DatePrefix) {
				t.Fatalf("date %s is not under prefix %q", d, in.DatePrefix)
			}
			if !batch.Covers(key) {
				t.Fatalf("a batch of %s to %s does not cover %q", from, to, key)
			}
		}
	})
}
