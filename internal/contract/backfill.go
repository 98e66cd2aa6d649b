package contract

import (
	"fmt"
	"strings"
	"time"
)

// The backfill state machine, the function and `pmdp backfill` agree on
// three shapes:
//
//   - BackfillInput is the execution's input: which delivery dates to
//     reprocess. `pmdp backfill` builds it with NewBackfillInput; people
//     starting an execution by hand write the same JSON.
//   - The state machine lists the log prefix followed by DatePrefix and
//     hands the function batches of the keys it finds, as a BackfillBatch.
//   - After the last batch it sends the function a SweepEvent naming Dates,
//     so the rollups of every date touched are rebuilt once.

// BackfillOp is the "pmdp" field of a BackfillBatch's BatchInput.
const BackfillOp = "backfill"

// MaxBackfillDays bounds one execution's date range: ten years. Its Dates
// then take about 51 KB of the 256 KB an execution's input may hold.
const MaxBackfillDays = 3660

// dateLayout is how every date in these shapes is written, in UTC.
const dateLayout = "2006-01-02"

// BackfillInput is a backfill execution's input.
type BackfillInput struct {
	// From and To are the first and last delivery dates to reprocess,
	// YYYY-MM-DD, inclusive: the dates of the …/yyyy/mm/dd/ folders the
	// load balancer wrote the logs into.
	From string `json:"from"`
	To   string `json:"to"`
	// DatePrefix is the part of the folder path that every date from From
	// to To shares: "2025/03/07/", "2025/03/", "2025/" or "" (see
	// DatePrefix). The state machine lists only the keys under it; the
	// function skips keys outside the range.
	DatePrefix string `json:"datePrefix"`
	// Dates are every date from From to To, whose rollups are rebuilt at
	// the end.
	Dates []string `json:"dates"`
}

// NewBackfillInput returns the input that reprocesses the delivery dates
// from from to to, inclusive, both YYYY-MM-DD.
func NewBackfillInput(from, to string) (BackfillInput, error) {
	first, last, err := parseRange(from, to)
	if err != nil {
		return BackfillInput{}, err
	}
	in := BackfillInput{From: from, To: to, DatePrefix: DatePrefix(first, last)}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		in.Dates = append(in.Dates, d.Format(dateLayout))
	}
	return in, nil
}

// Validate checks an input written by hand: a valid range whose DatePrefix
// and Dates agree with it.
func (in BackfillInput) Validate() error {
	want, err := NewBackfillInput(in.From, in.To)
	if err != nil {
		return err
	}
	if in.DatePrefix != want.DatePrefix {
		return fmt.Errorf("backfill datePrefix %q does not match %s to %s: want %q", in.DatePrefix, in.From, in.To, want.DatePrefix)
	}
	if strings.Join(in.Dates, ",") != strings.Join(want.Dates, ",") {
		return fmt.Errorf("backfill dates must list every date from %s to %s once, in order", in.From, in.To)
	}
	return nil
}

func parseRange(from, to string) (first, last time.Time, err error) {
	if first, err = parseDate("from", from); err != nil {
		return
	}
	if last, err = parseDate("to", to); err != nil {
		return
	}
	if last.Before(first) {
		return first, last, fmt.Errorf("backfill range %s to %s ends before it starts", from, to)
	}
	if days := int(last.Sub(first).Hours()/24) + 1; days > MaxBackfillDays {
		return first, last, fmt.Errorf("backfill range %s to %s is %d days; at most %d fit in one execution", from, to, days, MaxBackfillDays)
	}
	return first, last, nil
}

func parseDate(what, s string) (time.Time, error) {
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("backfill %s date %q is not YYYY-MM-DD", what, s)
	}
	return d, nil
}

// DatePrefix returns the longest folder path, in the load balancer's
// yyyy/mm/dd/ layout, under which every date from first to last lies.
func DatePrefix(first, last time.Time) string {
	switch {
	case first.Year() != last.Year():
		return ""
	case first.Month() != last.Month():
		return first.Format("2006/")
	case first.Day() != last.Day():
		return first.Format("2006/01/")
	}
	return first.Format("2006/01/02/")
}

// BackfillBatch is what the state machine's Distributed Map gives the
// function: a batch of listed keys and the BatchInput the map adds.
type BackfillBatch struct {
	Items      []BackfillItem     `json:"Items"`
	BatchInput BackfillBatchInput `json:"BatchInput"`
}

// BackfillItem is one object as listObjectsV2 lists it; only the key
// matters. Keys arrive as stored, not URL-encoded as in S3 notifications.
type BackfillItem struct {
	Key string `json:"Key"`
}

// BackfillBatchInput is the part of a batch the state machine fills in.
type BackfillBatchInput struct {
	Op     string `json:"pmdp"`   // BackfillOp
	Bucket string `json:"bucket"` // the log bucket the keys are in
	From   string `json:"from"`   // BackfillInput.From
	To     string `json:"to"`     // BackfillInput.To
}

// Validate checks what the function needs of a batch before it reads any
// of its objects.
func (b BackfillBatchInput) Validate() error {
	if b.Op != BackfillOp {
		return fmt.Errorf("backfill batch input has pmdp %q, want %q", b.Op, BackfillOp)
	}
	if b.Bucket == "" {
		return fmt.Errorf("backfill batch input names no bucket")
	}
	_, _, err := parseRange(b.From, b.To)
	return err
}

// Covers reports whether key lies in a …/yyyy/mm/dd/ folder whose date is
// from From to To. A key without such a folder is not covered.
func (b BackfillBatchInput) Covers(key string) bool {
	date, ok := KeyDate(key)
	return ok && b.InRange(date)
}

// InRange reports whether date, YYYY-MM-DD, is from From to To.
func (b BackfillBatchInput) InRange(date string) bool {
	// YYYY-MM-DD strings order as the dates do.
	return date >= b.From && date <= b.To
}

// KeyDate returns the date, YYYY-MM-DD, of the yyyy/mm/dd/ folder that
// holds key: the three path segments before the file name.
func KeyDate(key string) (string, bool) {
	parts := strings.Split(key, "/")
	if len(parts) < 4 {
		return "", false
	}
	y, m, d := parts[len(parts)-4], parts[len(parts)-3], parts[len(parts)-2]
	if len(y) != 4 || len(m) != 2 || len(d) != 2 {
		return "", false
	}
	date := y + "-" + m + "-" + d
	if _, err := time.Parse(dateLayout, date); err != nil {
		return "", false
	}
	return date, true
}
