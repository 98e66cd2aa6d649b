package contract

import (
	"fmt"
	"strings"
)

// EnvReport is the function's environment variable for Settings.Report.
const EnvReport = "PMDP_REPORT"

// ValidateReportKey checks the key the rollup sweep publishes the report
// to, in the summary bucket: a whole object name, "" for none. It must not
// be where load balancers write logs, which the function would be told
// of and the log lifecycle would delete.
func ValidateReportKey(key string) error {
	switch {
	case key == "":
		return nil
	case strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/"):
		return fmt.Errorf("report key %q must not start or end with /", key)
	case strings.Contains(key, "AWSLogs/"):
		return fmt.Errorf("report key %q must not contain AWSLogs/, where load balancers write logs", key)
	}
	return nil
}

// validateReportApart checks that the report is neither a summary nor a
// rollup: the sweep would read it back as one, and Athena reads every
// object under the rollups.
func validateReportApart(s Settings) error {
	if s.Report == "" {
		return nil
	}
	for _, p := range []struct{ what, prefix string }{{"summary", s.SummaryPrefix}, {"rollup", s.RollupPrefix}} {
		if strings.HasPrefix(s.Report, p.prefix) {
			return fmt.Errorf("report key %q is under the %s prefix %q: it would be read as a %s", s.Report, p.what, p.prefix, p.what)
		}
	}
	return nil
}

// SweepOp is the "pmdp" field of a SweepEvent.
const SweepOp = "rollup"

// SweepEvent asks the function to rebuild daily rollups. The construct's
// schedule and the local pipeline send ScheduledSweep; people may name
// dates for a backfill.
type SweepEvent struct {
	Op string `json:"pmdp"` // SweepOp
	// Dates to rebuild, YYYY-MM-DD; none: the last RollupDays UTC dates,
	// today's included.
	Dates []string `json:"dates,omitempty"`
	// Bucket of the summaries, for a function without PMDP_SUMMARY_BUCKET.
	Bucket string `json:"bucket,omitempty"`
}

// ScheduledSweep is the SweepEvent a schedule sends, as JSON: rebuild the
// window's dates in the function's summary bucket.
const ScheduledSweep = `{"pmdp":"rollup"}`

// ReportKey is where the stack has the sweep publish the report, in the
// summary bucket.
const ReportKey = "report/index.html"
