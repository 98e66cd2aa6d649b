package progress_test

import (
	"os"
	"time"

	"github.com/pmdp/pmdp/internal/progress"
)

func Example() {
	// A clock that moves on 6 s each time it is read, so that the output
	// is the same on every run.
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { now = now.Add(6 * time.Second); return now }

	d := progress.New(progress.Options{
		Out:   os.Stdout,
		Label: "pmdp process",
		Unit:  "files",
		// Terminal: true would draw one live line with a bar instead.
		Interval: 10 * time.Second,
		Start:    start,
		Now:      clock,
	})
	d.Update(progress.Counts{Done: 10, Total: 100, Listing: true}) // 6 s: not due yet
	d.Update(progress.Counts{Done: 30, Total: 180, Listing: true}) // 12 s
	d.Update(progress.Counts{Done: 60, Total: 200})                // 18 s: not due yet
	d.Update(progress.Counts{Done: 110, Total: 200, Failed: 1})    // 24 s
	d.Finish(progress.Counts{Done: 200, Total: 200, Failed: 1})    // 30 s
	// Output:
	// pmdp process: 30/180+ files (listing), 0 failed, 2.5 files/s, 12s elapsed
	// pmdp process: 110/200 files (55%), 1 failed, 4.6 files/s, about 20s left, 24s elapsed
	// pmdp process: 200 files done, 1 failed, in 30s (6.7 files/s)
}
