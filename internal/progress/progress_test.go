package progress

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for the display.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one event of a scripted run: the clock moves on by after, then
// the counts are updated (or, with refresh, the display refreshed).
type step struct {
	after   time.Duration
	counts  Counts
	refresh bool
}

func play(d *Display, c *clock, steps []step) {
	for _, s := range steps {
		c.advance(s.after)
		if s.refresh {
			d.Refresh()
		} else {
			d.Update(s.counts)
		}
	}
}

func TestPlainLines(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		final Counts
		want  string
	}{
		{
			name: "one line an interval, then the summary",
			steps: []step{
				{after: 4 * time.Second, counts: Counts{Done: 40, Total: 200}},
				{after: 6 * time.Second, counts: Counts{Done: 100, Total: 200, Failed: 1}}, // 10 s: due
				{after: 5 * time.Second, counts: Counts{Done: 150, Total: 200, Failed: 1}}, // 15 s: not due
				{after: 5 * time.Second, counts: Counts{Done: 190, Total: 200, Failed: 2}}, // 20 s: due
			},
			final: Counts{Done: 200, Total: 200, Failed: 2},
			want: "backfill: 100/200 files (50%), 1 failed, 10.0 files/s, about 10s left, 10s elapsed\n" +
				"backfill: 190/200 files (95%), 2 failed, 9.5 files/s, about 1s left, 20s elapsed\n" +
				"backfill: 200 files done, 2 failed, in 21s (9.5 files/s)\n",
		},
		{
			name: "a run shorter than the interval writes only the summary",
			steps: []step{
				{after: time.Second, counts: Counts{Done: 1, Total: 3}},
				{after: time.Second, counts: Counts{Done: 3, Total: 3}},
			},
			final: Counts{Done: 3, Total: 3},
			want:  "backfill: 3 files done, 0 failed, in 3s (1.0 files/s)\n",
		},
		{
			name: "no time left while listing",
			steps: []step{
				{after: 12 * time.Second, counts: Counts{Done: 24, Total: 500, Listing: true}},
				{after: 12 * time.Second, counts: Counts{Done: 48, Total: 1000}},
			},
			final: Counts{Done: 1000, Total: 1000},
			want: "backfill: 24/500+ files (listing), 0 failed, 2.0 files/s, 12s elapsed\n" +
				"backfill: 48/1000 files (4%), 0 failed, 2.0 files/s, about 7m56s left, 24s elapsed\n" +
				"backfill: 1000 files done, 0 failed, in 25s (40.0 files/s)\n",
		},
		{
			name: "interrupted: the summary says how many of how many",
			steps: []step{
				{after: 2 * time.Minute, counts: Counts{Done: 7, Total: 9, Failed: 3}},
			},
			final: Counts{Done: 7, Total: 9, Failed: 3},
			want: "backfill: 7/9 files (77%), 3 failed, 0.1 files/s, about 34s left, 2m00s elapsed\n" +
				"backfill: 7 of 9 files done, 3 failed, in 2m01s (0.1 files/s)\n",
		},
		{
			name: "refresh keeps the rate current while nothing finishes",
			steps: []step{
				{after: 5 * time.Second, counts: Counts{Done: 50, Total: 100}},
				{after: 55 * time.Second, refresh: true},
			},
			final: Counts{Done: 100, Total: 100},
			want: "backfill: 50/100 files (50%), 0 failed, 0.8 files/s, about 1m00s left, 1m00s elapsed\n" +
				"backfill: 100 files done, 0 failed, in 1m01s (1.6 files/s)\n",
		},
		{
			name: "all done before the summary: no time left",
			steps: []step{
				{after: 10 * time.Second, counts: Counts{Done: 10, Total: 10}},
			},
			final: Counts{Done: 10, Total: 10},
			want: "backfill: 10/10 files (100%), 0 failed, 1.0 files/s, 10s elapsed\n" +
				"backfill: 10 files done, 0 failed, in 11s (0.9 files/s)\n",
		},
		{
			name: "nothing done yet: no time left at a rate of 0",
			steps: []step{
				{after: 10 * time.Second, counts: Counts{Done: 0, Total: 10}},
			},
			final: Counts{Done: 0, Total: 10},
			want: "backfill: 0/10 files (0%), 0 failed, 0.0 files/s, 10s elapsed\n" +
				"backfill: 0 of 10 files done, 0 failed, in 11s (0.0 files/s)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			var out bytes.Buffer
			d := New(Options{Out: &out, Label: "backfill", Unit: "files", Now: c.Now})
			play(d, c, tt.steps)
			c.advance(time.Second)
			d.Finish(tt.final)
			if out.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", &out, tt.want)
			}
			if strings.ContainsAny(out.String(), "\r\x1b\b") {
				t.Errorf("plain output holds control characters: %q", &out)
			}
		})
	}
}

func TestLiveLine(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	d := New(Options{Out: &out, Label: "process", Unit: "files", Terminal: true, Width: 100, Now: c.Now})
	play(d, c, []step{
		{after: time.Second, counts: Counts{Done: 0, Total: 0, Listing: true}},
		{after: 10 * time.Millisecond, counts: Counts{Done: 1, Total: 10, Listing: true}}, // too soon: not drawn
		{after: time.Second, counts: Counts{Done: 5, Total: 10}},
	})
	above := d.Above(&out)
	fmt.Fprintf(above, "a line above\n")
	c.advance(time.Second)
	d.Finish(Counts{Done: 10, Total: 10, Failed: 1})

	want := "\rprocess: 0/0+ files (listing), 0 failed, 0.0 files/s\x1b[K" +
		"\rprocess: [==========          ] 5/10 files (50%), 0 failed, 2.5 files/s, about 2s left\x1b[K" +
		"\r\x1b[Ka line above\n" +
		"\rprocess: [==========          ] 5/10 files (50%), 0 failed, 2.5 files/s, about 2s left\x1b[K" +
		"\r\x1b[K" +
		"process: 10 files done, 1 failed, in 3s (3.3 files/s)\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", &out, want)
	}
}

// The live line at its boundaries: no rate before any time has passed,
// a redraw exactly redrawEvery after the last one, no bar when there is
// nothing to do.
func TestLiveLineBoundaries(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{
			name:  "an update at the start has no rate yet",
			steps: []step{{after: 0, counts: Counts{Done: 2, Total: 10}}},
			want:  "\rprocess: [====                ] 2/10 files (20%), 0 failed, 0.0 files/s\x1b[K",
		},
		{
			name: "redrawn exactly redrawEvery after the last draw",
			steps: []step{
				{after: time.Second, counts: Counts{Done: 1, Total: 10}},
				{after: redrawEvery, counts: Counts{Done: 2, Total: 10}},
			},
			want: "\rprocess: [==                  ] 1/10 files (10%), 0 failed, 1.0 files/s, about 9s left\x1b[K" +
				"\rprocess: [====                ] 2/10 files (20%), 0 failed, 1.8 files/s, about 4s left\x1b[K",
		},
		{
			name:  "nothing to do: no bar",
			steps: []step{{after: time.Second, counts: Counts{Done: 0, Total: 0}}},
			want:  "\rprocess: 0/0 files, 0 failed, 0.0 files/s\x1b[K",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			var out bytes.Buffer
			d := New(Options{Out: &out, Label: "process", Unit: "files", Terminal: true, Width: 100, Now: c.Now})
			play(d, c, tt.steps)
			if out.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", &out, tt.want)
			}
		})
	}
}

// The summary line at its boundaries.
func TestSummary(t *testing.T) {
	tests := []struct {
		name    string
		elapsed time.Duration
		final   Counts
		want    string
	}{
		{"finished at the start: no rate", 0, Counts{}, "backfill: 0 files done, 0 failed, in 0s\n"},
		{"a rate of 100 has no decimal", time.Second, Counts{Done: 100, Total: 100}, "backfill: 100 files done, 0 failed, in 1s (100 files/s)\n"},
		{"listing when stopped: of how many found", time.Second, Counts{Done: 5, Total: 5, Listing: true}, "backfill: 5 of 5 files done, 0 failed, in 1s (5.0 files/s)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			var out bytes.Buffer
			d := New(Options{Out: &out, Label: "backfill", Unit: "files", Now: c.Now})
			c.advance(tt.elapsed)
			line := d.Finish(tt.final)
			if out.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", &out, tt.want)
			}
			if line+"\n" != tt.want {
				t.Errorf("Finish returned %q, want the line without its newline", line)
			}
		})
	}
}

// Where items fail in groups, the failed count says so, on every line.
func TestFailedLabel(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	d := New(Options{Out: &out, Label: "backfill", Unit: "keys", Failed: "in failed batches", Now: c.Now})
	c.advance(10 * time.Second)
	d.Update(Counts{Done: 500, Failed: 250, Total: 1000})
	c.advance(10 * time.Second)
	d.Finish(Counts{Done: 1000, Failed: 250, Total: 1000})
	want := "backfill: 500/1000 keys (50%), 250 in failed batches, 50.0 keys/s, about 10s left, 10s elapsed\n" +
		"backfill: 1000 keys done, 250 in failed batches, in 20s (50.0 keys/s)\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", &out, want)
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		r    float64
		want string
	}{
		{0, "0.0"},
		{9.96, "10.0"},
		{99.94, "99.9"},
		{100, "100"},
		{1234.4, "1234"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatRate(tt.r); got != tt.want {
				t.Errorf("formatRate(%v) = %q, want %q", tt.r, got, tt.want)
			}
		})
	}
}

// A line wider than the terminal would wrap, and \r would then redraw
// only its last row: the live line is cut to the width.
func TestLiveLineFitsTheWidth(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	d := New(Options{Out: &out, Label: "backfill", Unit: "items", Terminal: true, Width: 40, Now: c.Now})
	c.advance(time.Second)
	d.Update(Counts{Done: 123456, Total: 999999})
	line := strings.TrimSuffix(strings.TrimPrefix(out.String(), "\r"), "\x1b[K")
	if len(line) != 39 || !strings.HasPrefix(line, "backfill: [==                  ] 12345") {
		t.Errorf("live line %q, want the first 39 columns", line)
	}
}

// The rate follows the last minute, so a run that slows down gets a
// longer estimate than its average would give, and attaching to a run
// already under way does not count its earlier items as done just now.
func TestRateFollowsTheLastMinute(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	d := New(Options{Out: &out, Unit: "items", Now: c.Now, Interval: time.Hour})
	for range 10 { // 100 items/s for 10 minutes
		c.advance(time.Minute)
		d.Update(Counts{Done: d.counts.Done + 6000, Total: 100000})
	}
	for range 2 { // then 10 items/s
		c.advance(time.Minute)
		d.Update(Counts{Done: d.counts.Done + 600, Total: 100000})
	}
	if got := d.rate(); got != 10 {
		t.Errorf("rate %v, want 10 (the last minute's)", got)
	}
	if got := d.line(c.Now(), false); !strings.Contains(got, "10.0 items/s, about 1h04m left") {
		t.Errorf("line %q, want the last minute's rate and the time left at it", got)
	}
}

func TestUpdatesAfterFinishAreIgnored(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	d := New(Options{Out: &out, Terminal: true, Now: c.Now})
	d.Finish(Counts{})
	before := out.String()
	c.advance(time.Minute)
	d.Update(Counts{Done: 5, Total: 5})
	d.Refresh()
	fmt.Fprintln(d.Above(&out), "after")
	if got := out.String(); got != before+"after\n" {
		t.Errorf("output after Finish: %q", strings.TrimPrefix(got, before))
	}
}

// Lines written before the first update do not draw an empty live line.
func TestAboveBeforeAnyUpdate(t *testing.T) {
	var out bytes.Buffer
	d := New(Options{Out: &out, Terminal: true, Now: newClock().Now})
	fmt.Fprintln(d.Above(&out), "listing s3://logs/")
	d.Refresh()
	if got := out.String(); got != "listing s3://logs/\n" {
		t.Errorf("output %q, want only the line", got)
	}
}

// Workers update the display and write lines above it from many
// goroutines at once; run with -race.
func TestConcurrentUpdates(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		t.Run(fmt.Sprintf("terminal=%t", terminal), func(t *testing.T) {
			var out bytes.Buffer
			d := New(Options{Out: &out, Terminal: terminal, Interval: time.Nanosecond})
			above := d.Above(&out)
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := range 100 {
						d.Update(Counts{Done: i, Total: 100})
						d.Refresh()
						fmt.Fprintf(above, "worker %d item %d\n", w, i)
					}
				})
			}
			wg.Wait()
			d.Finish(Counts{Done: 100, Total: 100})
			if n := strings.Count(out.String(), "item "); n != 800 {
				t.Errorf("%d lines above the display, want 800", n)
			}
			if !regexp.MustCompile(`(^|\n|\x1b\[K)100 items done, 0 failed, in \S+( \(.*\))?\n$`).MatchString(out.String()) {
				t.Errorf("output does not end with the summary line: %q", out.String()[max(0, out.Len()-200):])
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{1499 * time.Millisecond, "1s"},
		{59 * time.Second, "59s"},
		{59*time.Second + 600*time.Millisecond, "1m00s"},
		{3*time.Minute + 7*time.Second, "3m07s"},
		{time.Hour, "1h00m"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h05m"},
		{49 * time.Hour, "49h00m"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatDuration(tt.d); got != tt.want {
				t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}
