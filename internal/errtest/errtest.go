// Package errtest checks, in tests, what an error says.
package errtest

import (
	"strings"
	"testing"
)

// Mentions fails t unless err mentions each of want, or, with no want,
// unless err is nil.
func Mentions(t testing.TB, err error, want ...string) {
	t.Helper()
	switch {
	case len(want) == 0 && err != nil:
		t.Errorf("error %q, want none", err)
	case len(want) > 0 && err == nil:
		t.Errorf("no error, want one mentioning %q", want)
	}
	for _, w := range want {
		if err != nil && !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
