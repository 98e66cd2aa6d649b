package errtest

import (
	"errors"
	"testing"
)

// recorder is a testing.TB that keeps its failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, format)
}

func TestMentions(t *testing.T) {
	err := errors.New(`bucket/key:3: field "status" is not a number`)
	tests := []struct {
		name     string
		err      error
		want     []string
		failures int
	}{
		{"nil, none wanted", nil, nil, 0},
		{"error, none wanted", err, nil, 1},
		{"nil, one wanted", nil, []string{"status"}, 1},
		{"mentions each", err, []string{"bucket/key:3", `"status"`}, 0},
		{"misses one", err, []string{"bucket/key:3", "line 4"}, 1},
		{"misses both", err, []string{"line 4", "date"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Mentions(r, tt.err, tt.want...)
			if len(r.failures) != tt.failures {
				t.Errorf("Mentions(%v, %q) failed %d times (%q), want %d", tt.err, tt.want, len(r.failures), r.failures, tt.failures)
			}
		})
	}
}
