// Package handler is the Lambda function: it takes S3 event notifications
// for delivered log files and has the processing core summarize each one.
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

	"github.com/pmdp/pmdp/internal/process"
)

// DefaultStopMargin is how long before the invocation deadline the handler
// stops working on a file, so that it fails with a clear error rather
// than being killed by Lambda mid-write.
const DefaultStopMargin = 3 * time.Second

// Handler handles S3 event notifications.
type Handler struct {
	Processor *process.Processor
	Log       *slog.Logger
	// Metrics receives one CloudWatch Embedded Metric Format record per
	// object; nil writes none.
	Metrics io.Writer
	// StopMargin overrides DefaultStopMargin; at most a tenth of the
	// time left is used when that is shorter.
	StopMargin time.Duration
}

// notification is what S3 sends: either records, or the one-off test
// event sent when a notification is configured.
type notification struct {
	events.S3Event
	Event  string `json:"Event"`
	Bucket string `json:"Bucket"`
}

// Handle processes every record of an S3 event. It fails only when some
// object could not be processed, after trying all of them, with one error
// that names each; Lambda then retries the event, and that is safe because
// processing is idempotent.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) error {
	var n notification
	if err := json.Unmarshal(payload, &n); err != nil {
		h.Log.Error("event is not an S3 notification", "error", err)
		return fmt.Errorf("event is not an S3 notification: %w", err)
	}
	if n.Event == "s3:TestEvent" {
		h.Log.Info("S3 test event: notifications reach the function", "bucket", n.Bucket)
		return nil
	}
	if len(n.Records) == 0 {
		h.Log.Warn("S3 notification without records")
		return nil
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
		if err := h.processOne(ctx, bucket, key); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d objects failed: %w", len(errs), len(n.Records), errors.Join(errs...))
	}
	return nil
}

func (h *Handler) processOne(ctx context.Context, bucket, key string) error {
	rep, err := h.Processor.Process(ctx, bucket, key)
	attrs := []any{"bucket", bucket, "key", key}
	switch {
	case errors.Is(err, process.ErrRecursion):
		// Retrying cannot help and failing would only fill the failure
		// queue: the notification is misconfigured. Say so loudly.
		h.Log.Error("refused: the key is under the summary prefix; check the notification filter", attrs...)
		return nil
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		h.Log.Error("stopped before the invocation deadline; the file was not finished", append(attrs, "error", err)...)
		return fmt.Errorf("%s/%s: stopped before the invocation deadline, file not finished: %w", bucket, key, err)
	case err != nil:
		h.Log.Error("processing failed", append(attrs, "error", err)...)
		return err
	case rep.Outcome == process.Skipped:
		h.Log.Info("skipped: not an access log", append(attrs, "kind", rep.Kind.String())...)
		return nil
	case rep.Outcome == process.Gone:
		h.Log.Warn("object is gone; nothing to do", attrs...)
		return nil
	}
	h.Log.Info("summarized", append(attrs,
		"bytes", rep.Bytes,
		"lines", rep.Stats.Lines,
		"rejected", rep.Stats.Rejected,
		"filtered", rep.Stats.Filtered,
		"requests", rep.Requests,
		"summaries", rep.Outputs,
		"duration_ms", rep.Duration.Milliseconds(),
		"lag_s", int64(rep.Lag.Seconds()),
	)...)
	for _, s := range rep.Stats.Samples {
		h.Log.Warn("rejected line", append(attrs, "line", s.Line, "error", s.Err.Error())...)
	}
	h.writeMetrics(rep)
	return nil
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
