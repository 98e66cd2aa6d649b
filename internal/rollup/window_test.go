package rollup

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSweepDates(t *testing.T) {
	tests := []struct {
		now  string
		days int
		want []string
	}{
		{"2026-11-26T10:00:00Z", 3, []string{"2026-11-24", "2026-11-25", "2026-11-26"}},
		{"2026-03-01T00:00:00Z", 2, []string{"2026-02-28", "2026-03-01"}},
		{"2026-11-26T23:59:59.999Z", 1, []string{"2026-11-26"}},
		{"2026-11-27T01:00:00+02:00", 1, []string{"2026-11-26"}}, // UTC dates
	}
	for _, tt := range tests {
		now, _ := time.Parse(time.RFC3339, tt.now)
		if got := SweepDates(now, tt.days); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SweepDates(%s, %d) = %q, want %q", tt.now, tt.days, got, tt.want)
		}
	}
}

// AtOnce leaves to the sweeps exactly the dates that the next sweep, even
// one starting a day later, still covers.
func TestAtOnce(t *testing.T) {
	now, _ := time.Parse(time.RFC3339, "2026-11-26T23:59:00Z")
	tests := []struct {
		date string
		days int
		want bool
	}{
		{"2026-11-26", 3, false},
		{"2026-11-25", 3, false},
		{"2026-11-24", 3, true}, // swept today, but tomorrow's sweep starts at 11-25
		{"2020-01-01", 3, true},
		{"2026-11-27", 3, true}, // a line from the future: no sweep reaches it yet
		{"2026-11-26", 1, true},
		{"2026-11-26", 2, false},
		{"2026-11-25", 2, true},
	}
	for _, tt := range tests {
		if got := AtOnce(tt.date, now, tt.days); got != tt.want {
			t.Errorf("AtOnce(%s, days %d) = %v, want %v", tt.date, tt.days, got, tt.want)
		}
	}
	// The rule itself: whatever is left to the sweeps is in a sweep a day on.
	for days := 1; days <= 5; days++ {
		later := SweepDates(now.Add(24*time.Hour), days)
		for _, d := range SweepDates(now, days+1) {
			if !AtOnce(d, now, days) && (d < later[0] || d > later[len(later)-1]) {
				t.Errorf("days %d: %s left to a sweep that a day later covers only %q", days, d, later)
			}
		}
	}
}

func TestBuildAll(t *testing.T) {
	e := newEnv(t, "")
	e.put("2026-11-24", "a.csv", "path,count\n/a,1\n")
	e.put("2026-11-25", "a.csv", "path,count\n/a,x\n") // unreadable
	e.put("2026-11-26", "a.csv", "path,count\n/a,3\n")
	var seen []string
	results, err := e.b.BuildAll(context.Background(), []string{"2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"}, func(r Result, err error) {
		seen = append(seen, r.Date+" "+string(r.Outcome))
	})
	if err == nil || !strings.Contains(err.Error(), "rollup of 2026-11-25: logs/summaries/dt=2026-11-25/a.csv: line 2") {
		t.Errorf("error %v, want the failed date's", err)
	}
	if want := []string{"2026-11-24 written", "2026-11-25 ", "2026-11-26 written", "2026-11-27 no-inputs"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("done called for %q, want %q", seen, want)
	}
	if len(results) != 3 {
		t.Errorf("%d results, want the 3 that succeeded", len(results))
	}
	e.wantRows("2026-11-26", "/a 3")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.b.BuildAll(ctx, []string{"2026-11-26"}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestProgress(t *testing.T) {
	e := newEnv(t, "")
	for _, name := range []string{"a.csv", "b.csv", "c.csv"} {
		e.put(date, name, "path,count\n/a,1\n")
	}
	var got []string
	e.b.Progress = func(d string, read, total int) { got = append(got, fmt.Sprintf("%s %d/%d", d, read, total)) }
	e.build(date)
	e.build(date) // unchanged: nothing read
	if want := []string{date + " 1/3", date + " 2/3", date + " 3/3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("progress %q, want %q", got, want)
	}
}
