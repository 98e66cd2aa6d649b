// Package handler is the Lambda function: it takes S3 event notifications
// for delivered log files and has the processing core summarize each one;
// the backfill state machine's batches of listed log files, which it
// summarizes the same way; and the scheduled rollup sweep, which rebuilds
// the daily rollups of the last few dates and can publish the report of
// them.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/report"
	"github.com/pmdp/pmdp/internal/rollup"
)

// DefaultStopMargin is how long before the invocation deadline the handler
// stops working on a file, so that it fails with a clear error rather
// than being killed by Lambda mid-write.
const DefaultStopMargin = 3 * time.Second

// Handler handles S3 event notifications, backfill batches and rollup
// sweeps.
type Handler struct {
	Processor *process.Processor
	// Rollups builds the daily rollups: the sweep's dates, and each date a
	// log's summaries were written for that the sweeps would not reach in
	// time (see rollup.AtOnce; the window is Processor.Config.RollupDays).
	// Its Bucket is "" when summaries go to each log's own bucket. Nil
	// builds none.
	Rollups *rollup.Builder
	// Now tells the date; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
	// Metrics receives one CloudWatch Embedded Metric Format record per
	// object; nil writes none.
	Metrics io.Writer
	// StopMargin overrides DefaultStopMargin; at most a tenth of the
	// time left is used when that is shorter.
	StopMargin time.Duration
	// Report is the key, in the summary bucket, that each sweep of the
	// window (one naming no dates, as the schedule sends) publishes the
	// report of the last report.PublishDays days of rollups to
	// (contract.Settings.Report); "" publishes none.
	Report string
}

// notification is what S3 sends: either records, or the one-off test
// event sent when a notification is configured. Or it is a
// contract.SweepEvent, or a contract.BackfillBatch (whose BatchInput is
// then set).
type notification struct {
	events.S3Event
	Event  string `json:"Event"`
	Bucket string `json:"Bucket"`
	contract.SweepEvent
	Items      []contract.BackfillItem      `json:"Items"`
	BatchInput *contract.BackfillBatchInput `json:"BatchInput"`
}

// BackfillResult is the function's answer to a backfill batch: what became
// of its items. A batch with an item that failed gets an error instead.
type BackfillResult struct {
	Items      int `json:"items"`
	Summarized int `json:"summarized"`
	// Skipped are not access logs, or were deleted before they could be
	// read, or lie under the summary or rollup prefix.
	Skipped int `json:"skipped"`
	// Uncovered lie outside the batch's dates (or in no dated folder):
	// the state machine lists a folder that may hold more than the range.
	Uncovered int `json:"uncovered"`
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Handle processes every record of an S3 event, or every item of a backfill
// batch, or runs a rollup sweep. It fails only when some object or date
// could not be done, after trying all of them, with one error that names
// each; Lambda (or the state machine) then retries the event, and that is
// safe because processing and rollups are idempotent. Only a backfill
// batch has a result; it is nil for the other events.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (*BackfillResult, error) {
	var n notification
	if err := json.Unmarshal(payload, &n); err != nil {
		h.Log.Error("event is not an S3 notification", "error", err)
		return nil, fmt.Errorf("event is not an S3 notification: %w", err)
	}
	if n.BatchInput != nil {
		return h.backfill(ctx, n.Items, *n.BatchInput)
	}
	switch n.Op {
	case "":
	case contract.SweepOp:
		return nil, h.sweep(ctx, n.SweepEvent)
	default:
		h.Log.Error("unknown pmdp event", "pmdp", n.Op)
		return nil, fmt.Errorf("unknown pmdp event %q (want %q)", n.Op, contract.SweepOp)
	}
	if n.Event == "s3:TestEvent" {
		h.Log.Info("S3 test event: notifications reach the function", "bucket", n.Bucket)
		return nil, nil
	}
	if len(n.Records) == 0 {
		h.Log.Warn("S3 notification without records")
		return nil, nil
	}
	ctx, cancel := h.workContext(ctx)
	defer cancel()

	var errs []error
	for _, r := range n.Records {
		bucket, key := r.S3.Bucket.Name, r.S3.Object.URLDecodedKey
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			h.Log.Info("not an object creation; ignored", "event", r.EventName, "bucket", bucket, "key", key)
			continue
		}
		rep, err := h.processOne(ctx, bucket, key)
		if err == nil {
			err = h.rollUpAtOnce(ctx, bucket, rep.Dates)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d of %d objects failed: %w", len(errs), len(n.Records), errors.Join(errs...))
	}
	return nil, nil
}

// backfill processes the covered items of a batch the backfill state
// machine listed, one after another: the keys are as stored, not
// URL-encoded. The rollups of the batch's dates are left to the state
// machine, which rebuilds each once after the last batch: rebuilding them
// here would rebuild a busy date hundreds of times, concurrently. A date
// outside the range (the day before From, whose last minutes the first
// files of From's folder hold) is rolled up as for a notification.
func (h *Handler) backfill(ctx context.Context, items []contract.BackfillItem, in contract.BackfillBatchInput) (*BackfillResult, error) {
	if err := in.Validate(); err != nil {
		h.Log.Error("invalid backfill batch", "error", err)
		return nil, err
	}
	ctx, cancel := h.workContext(ctx)
	defer cancel()
	start := time.Now()
	res := &BackfillResult{Items: len(items)}
	var errs []error
	for _, it := range items {
		if !in.Covers(it.Key) {
			h.Log.Info("backfill: outside the batch's dates; skipped", "bucket", in.Bucket, "key", it.Key, "from", in.From, "to", in.To)
			res.Uncovered++
			continue
		}
		rep, err := h.processOne(ctx, in.Bucket, it.Key)
		if err == nil {
			if err = h.rollUpAtOnce(ctx, in.Bucket, outside(rep.Dates, in)); err != nil {
				err = fmt.Errorf("%s/%s: rolling up its dates outside %s to %s: %w", in.Bucket, it.Key, in.From, in.To, err)
			}
		}
		switch {
		case err != nil:
			errs = append(errs, err)
		case rep.Outcome == process.Summarized:
			res.Summarized++
		default:
			res.Skipped++
		}
	}
	h.Log.Info("backfill batch", "bucket", in.Bucket, "from", in.From, "to", in.To, "items", res.Items,
		"summarized", res.Summarized, "skipped", res.Skipped, "uncovered", res.Uncovered, "failed", len(errs),
		"duration_ms", time.Since(start).Milliseconds())
	if len(errs) > 0 {
		return nil, fmt.Errorf("backfill batch: %d of %d objects failed: %w", len(errs), len(items), errors.Join(errs...))
	}
	return res, nil
}

// outside returns the dates of dates that lie outside in's range.
func outside(dates []string, in contract.BackfillBatchInput) []string {
	var out []string
	for _, d := range dates {
		if !in.InRange(d) {
			out = append(out, d)
		}
	}
	return out
}

// processOne processes bucket/key and logs what became of it. Only a
// failure that a retry may mend is an error: a refused, skipped or gone
// object is not.
func (h *Handler) processOne(ctx context.Context, bucket, key string) (process.Report, error) {
	rep, err := h.Processor.Process(ctx, bucket, key)
	attrs := []any{"bucket", bucket, "key", key}
	switch {
	case errors.Is(err, process.ErrRecursion):
		// Retrying cannot help and failing would only fill the failure
		// queue: the notification is misconfigured. Say so loudly.
		h.Log.Error("refused: the key is under the summary or rollup prefix; check the notification filter", attrs...)
		return rep, nil
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		h.Log.Error("stopped before the invocation deadline; the file was not finished", append(attrs, "error", err)...)
		return rep, fmt.Errorf("%s/%s: stopped before the invocation deadline, file not finished: %w", bucket, key, err)
	case err != nil:
		h.Log.Error("processing failed", append(attrs, "error", err)...)
		return rep, err
	case rep.Outcome == process.Skipped:
		h.Log.Info("skipped: not an access log", append(attrs, "kind", rep.Kind.String())...)
		return rep, nil
	case rep.Outcome == process.Gone:
		h.Log.Warn("object is gone; nothing to do", attrs...)
		return rep, nil
	}
	h.Log.Info("summarized", append(attrs,
		"bytes", rep.Bytes,
		"lines", rep.Stats.Lines,
		"rejected", rep.Stats.Rejected,
		"filtered", rep.Stats.Filtered,
		"requests", rep.Requests,
		"other", rep.Other,
		"summaries", rep.Outputs,
		"duration_ms", rep.Duration.Milliseconds(),
		"lag_s", int64(rep.Lag.Seconds()),
	)...)
	for _, s := range rep.Stats.Samples {
		h.Log.Warn("rejected line", append(attrs, "line", s.Line, "error", s.Err.Error())...)
	}
	h.writeMetrics(rep)
	return rep, nil
}

// rollUpAtOnce builds the rollups of the dates of a log's summaries that
// the sweeps would not reach in time. A failure fails the invocation, so
// that Lambda retries it: reprocessing rewrites the same summaries, and the
// rollup is built again.
func (h *Handler) rollUpAtOnce(ctx context.Context, logBucket string, dates []string) error {
	if h.Rollups == nil {
		return nil
	}
	now, days := h.now(), h.Processor.Config.RollupDays
	var late []string
	for _, d := range dates {
		if rollup.AtOnce(d, now, days) {
			late = append(late, d)
		}
	}
	if len(late) == 0 {
		return nil
	}
	b := *h.Rollups
	if b.Bucket == "" {
		b.Bucket = logBucket
	}
	_, err := b.BuildAll(ctx, late, h.logRollup("a date outside the sweep's window"))
	return err
}

// sweep rebuilds the rollups of the window's dates, or of those the event
// names. A sweep of the window then publishes the report; one naming its
// dates does not: the backfill state machine sends one such sweep per
// week of its range, and each would publish the same 90 days again. It
// publishes once at the end, with a sweep of the window.
func (h *Handler) sweep(ctx context.Context, ev contract.SweepEvent) error {
	if h.Rollups == nil {
		return errors.New("rollup sweep: this function builds no rollups")
	}
	b := *h.Rollups
	if b.Bucket == "" {
		b.Bucket = ev.Bucket
	}
	if b.Bucket == "" {
		h.Log.Error("rollup sweep without a bucket: set PMDP_SUMMARY_BUCKET or the event's bucket")
		return errors.New("rollup sweep: no summary bucket: set PMDP_SUMMARY_BUCKET, or \"bucket\" in the event")
	}
	dates := ev.Dates
	if len(dates) == 0 {
		dates = rollup.SweepDates(h.now(), h.Processor.Config.RollupDays)
	}
	ctx, cancel := h.workContext(ctx)
	defer cancel()
	start := time.Now()
	counts := map[rollup.Outcome]int{}
	results, err := b.BuildAll(ctx, dates, h.logRollup("sweep"))
	for _, r := range results {
		counts[r.Outcome]++
	}
	h.Log.Info("rollup sweep", "bucket", b.Bucket, "dates", dates,
		"written", counts[rollup.Written], "unchanged", counts[rollup.Unchanged], "no_inputs", counts[rollup.NoInputs],
		"failed", len(dates)-len(results), "duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		err = fmt.Errorf("rollup sweep: %w", err)
	}
	if len(ev.Dates) > 0 {
		return err
	}
	// Even when some dates failed: the others are new, and the retry
	// that rebuilds the failed ones publishes again.
	return errors.Join(err, h.publish(ctx, b.Store, b.Bucket, b.RollupPrefix))
}

// publish writes the report of the rollups to h.Report, if set. A failure
// fails the invocation, so that Lambda retries the sweep, which is
// idempotent.
func (h *Handler) publish(ctx context.Context, store objstore.ListStore, bucket, rollupPrefix string) error {
	if h.Report == "" {
		return nil
	}
	start := time.Now()
	attrs := []any{"bucket", bucket, "key", h.Report}
	n, err := report.Publish(ctx, store, bucket, rollupPrefix, h.Report, report.PublishDays, h.now())
	switch {
	case err != nil:
		h.Log.Error("report not published", append(attrs, "error", err)...)
		return fmt.Errorf("rollup sweep: report: %w", err)
	case n == 0:
		h.Log.Warn("report not published: no rollups in its days", append(attrs, "days", report.PublishDays)...)
		return nil
	}
	h.Log.Info("report published", append(attrs, "bytes", n, "days", report.PublishDays, "duration_ms", time.Since(start).Milliseconds())...)
	return nil
}

// logRollup logs each date built, saying why it was.
func (h *Handler) logRollup(why string) func(rollup.Result, error) {
	return func(r rollup.Result, err error) {
		attrs := []any{"date", r.Date, "key", r.Key, "why", why, "attempts", r.Attempts, "conflicts", r.Conflicts}
		if err != nil {
			h.Log.Error("rollup failed", append(attrs, "error", err)...)
			return
		}
		h.Log.Info("rolled up", append(attrs, "outcome", string(r.Outcome), "inputs", r.Inputs, "rows", r.Rows, "requests", r.Requests, "other", r.Other)...)
	}
}

// workContext ends shortly before the invocation's deadline.
func (h *Handler) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, h.stopAt(deadline, time.Now()))
}

// stopAt is when work stops, at time now, for an invocation that must end
// by deadline: the stop margin before it, or a tenth of the time left when
// that is shorter, and the deadline itself when it has passed.
func (h *Handler) stopAt(deadline, now time.Time) time.Time {
	margin := h.StopMargin
	if margin == 0 {
		margin = DefaultStopMargin
	}
	if left := deadline.Sub(now); margin > left/10 {
		margin = max(left/10, 0)
	}
	return deadline.Add(-margin)
}
