// Package progress shows how far a long run of items has got: how many
// are done of how many, how many failed, the rate, and the time left.
//
// On a terminal it keeps one live line, redrawn in place with a carriage
// return and cleared at the end. Anywhere else (a log file, CI, a pipe) it
// writes a plain line at most once an interval and never a control
// character. Either way it ends with one summary line.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Counts is the state of a run at one moment.
type Counts struct {
	Done   int // items finished, the failed ones included
	Failed int // of Done, the items that failed
	Total  int // items in all; while Listing, those found so far
	// Listing is true while items are still being found, so Total may
	// grow; no time left is estimated then.
	Listing bool
}

// Options configure a Display. Only Out is required.
type Options struct {
	Out   io.Writer // where the display is written: standard error, usually
	Label string    // what each line starts with, e.g. "pmdp process"
	Unit  string    // what an item is called, plural: "files" (default "items")
	// Failed says what the failed count means, after the number: "in
	// failed batches", say, where items fail in groups (default "failed").
	Failed string
	// Terminal draws one live line redrawn in place. Without it the
	// display writes plain lines.
	Terminal bool
	// Width is the terminal's width in columns (default 80); the live
	// line is cut to fit, since a wrapped line cannot be redrawn.
	Width int
	// Interval is the least time between two plain lines (default 10 s).
	Interval time.Duration
	// Start is when the run began (default: when New is called); the
	// duration and the rate of the summary count from it.
	Start time.Time
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

const (
	defaultWidth    = 80
	defaultInterval = 10 * time.Second
	// redrawEvery is the least time between two redraws of the live line:
	// often enough to look alive, seldom enough to cost nothing.
	redrawEvery = 100 * time.Millisecond
	// rateWindow is how far back the live rate looks, so that it follows
	// changes of pace (and ignores items done before the display started
	// watching) instead of averaging over the whole run.
	rateWindow = time.Minute
	barWidth   = 20
)

// A Display shows the progress of one run. Its methods may be called
// from several goroutines at once.
type Display struct {
	opts Options

	mu      sync.Mutex
	counts  Counts
	samples []sample // recent (time, done) pairs, oldest first, for the rate
	drawn   bool     // the live line is on the screen
	last    time.Time
	plain   bool // a plain line has been written, so last is set
	updated bool // Update has been called: there are counts to show
	ended   bool
}

type sample struct {
	at   time.Time
	done int
}

// New returns a display writing to opts.Out.
func New(opts Options) *Display {
	if opts.Unit == "" {
		opts.Unit = "items"
	}
	if opts.Failed == "" {
		opts.Failed = "failed"
	}
	if opts.Width <= 0 {
		opts.Width = defaultWidth
	}
	if opts.Interval <= 0 {
		opts.Interval = defaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Start.IsZero() {
		opts.Start = opts.Now()
	}
	d := &Display{opts: opts, counts: Counts{Listing: true}}
	d.samples = []sample{{opts.Start, 0}}
	return d
}

// Update records c and redraws the display if it is due: the live line
// at most ten times a second, a plain line once an interval.
func (d *Display) Update(c Counts) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended {
		return
	}
	now := d.opts.Now()
	d.counts, d.updated = c, true
	d.record(now, c.Done)
	d.draw(now, false)
}

// Refresh redraws the display with the last counts if it is due, so that
// the rate and the time left stay current while no item finishes.
func (d *Display) Refresh() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended || !d.updated {
		return
	}
	now := d.opts.Now()
	d.record(now, d.counts.Done)
	d.draw(now, false)
}

// Above returns a writer to w for lines that should appear above the live
// line: each write first clears the live line, and a write that ends a
// line draws it again below. Writes through it are serialized with each
// other and with the display's own, so goroutines can share it.
func (d *Display) Above(w io.Writer) io.Writer {
	return aboveWriter{d, w}
}

type aboveWriter struct {
	d *Display
	w io.Writer
}

func (a aboveWriter) Write(p []byte) (int, error) {
	d := a.d
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clear()
	n, err := a.w.Write(p)
	if d.opts.Terminal && !d.ended && d.updated && bytes.HasSuffix(p, []byte("\n")) {
		d.draw(d.opts.Now(), true)
	}
	return n, err
}

// Finish records the final counts, clears the live line and writes the
// summary line, which it also returns without its newline. Later calls
// of Update and Refresh do nothing.
func (d *Display) Finish(c Counts) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.opts.Now()
	d.counts = c
	d.clear()
	d.ended = true
	line := d.summary(now)
	fmt.Fprintln(d.opts.Out, line)
	return line
}

// record adds a sample for the rate and forgets those the window no
// longer needs: it keeps the newest one older than the window, which the
// rate is measured from.
func (d *Display) record(now time.Time, done int) {
	d.samples = append(d.samples, sample{now, done})
	cut := now.Add(-rateWindow)
	i := 0
	for i+1 < len(d.samples) && !d.samples[i+1].at.After(cut) {
		i++
	}
	d.samples = d.samples[i:]
}

// rate is the items done per second over the last rateWindow, or over the
// run so far when it is shorter; 0 before any time has passed.
func (d *Display) rate() float64 {
	first, last := d.samples[0], d.samples[len(d.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(last.done-first.done) / secs
}

// draw writes the display if it is due at now, or regardless with force.
func (d *Display) draw(now time.Time, force bool) {
	if d.opts.Terminal {
		if !force && d.drawn && now.Sub(d.last) < redrawEvery {
			return
		}
		line := d.line(now, true)
		if max := d.opts.Width - 1; len(line) > max {
			line = line[:max]
		}
		// \x1b[K clears what a longer line drawn before left behind.
		fmt.Fprintf(d.opts.Out, "\r%s\x1b[K", line)
		d.drawn, d.last = true, now
		return
	}
	if d.plain && now.Sub(d.last) < d.opts.Interval || !d.plain && now.Sub(d.opts.Start) < d.opts.Interval {
		return
	}
	fmt.Fprintln(d.opts.Out, d.line(now, false))
	d.plain, d.last = true, now
}

// clear removes the live line from the screen.
func (d *Display) clear() {
	if d.drawn {
		fmt.Fprint(d.opts.Out, "\r\x1b[K")
		d.drawn = false
	}
}

// line is the display's text for now: with a bar on a terminal.
func (d *Display) line(now time.Time, bar bool) string {
	c, unit := d.counts, d.opts.Unit
	var b strings.Builder
	if d.opts.Label != "" {
		b.WriteString(d.opts.Label + ": ")
	}
	if bar && !c.Listing && c.Total > 0 {
		filled := min(barWidth, c.Done*barWidth/c.Total)
		fmt.Fprintf(&b, "[%s%s] ", strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled))
	}
	switch {
	case c.Listing:
		fmt.Fprintf(&b, "%d/%d+ %s (listing)", c.Done, c.Total, unit)
	case c.Total > 0:
		fmt.Fprintf(&b, "%d/%d %s (%d%%)", c.Done, c.Total, unit, c.Done*100/c.Total)
	default:
		fmt.Fprintf(&b, "%d/%d %s", c.Done, c.Total, unit)
	}
	fmt.Fprintf(&b, ", %d %s", c.Failed, d.opts.Failed)
	r := d.rate()
	fmt.Fprintf(&b, ", %s %s/s", formatRate(r), unit)
	if left := c.Total - c.Done; !c.Listing && left > 0 && r > 0 {
		fmt.Fprintf(&b, ", about %s left", formatDuration(time.Duration(float64(left)/r*float64(time.Second))))
	}
	if !bar {
		fmt.Fprintf(&b, ", %s elapsed", formatDuration(now.Sub(d.opts.Start)))
	}
	return b.String()
}

// summary is the final line: what was done, in how long, how fast.
func (d *Display) summary(now time.Time) string {
	c, unit := d.counts, d.opts.Unit
	elapsed := now.Sub(d.opts.Start)
	var b strings.Builder
	if d.opts.Label != "" {
		b.WriteString(d.opts.Label + ": ")
	}
	if c.Total != c.Done || c.Listing {
		fmt.Fprintf(&b, "%d of %d %s done", c.Done, c.Total, unit)
	} else {
		fmt.Fprintf(&b, "%d %s done", c.Done, unit)
	}
	fmt.Fprintf(&b, ", %d %s, in %s", c.Failed, d.opts.Failed, formatDuration(elapsed))
	if secs := elapsed.Seconds(); secs > 0 {
		fmt.Fprintf(&b, " (%s %s/s)", formatRate(float64(c.Done)/secs), unit)
	}
	return b.String()
}

// formatRate shows a rate with one decimal below 100, none above.
func formatRate(r float64) string {
	if r < 100 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

// formatDuration shows d as people read it: 45s, 3m07s, 2h05m.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// Terminal reports whether w is a terminal, and its width in columns (0
// when the terminal does not say), for Options.Terminal and Width.
func Terminal(w io.Writer) (width int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0, true
	}
	return width, true
}
