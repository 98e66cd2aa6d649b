package handler

import (
	"encoding/json"
	"time"

	"github.com/pmdp/pmdp/internal/process"
)

// MetricNamespace is the CloudWatch namespace of the function's metrics.
const MetricNamespace = "pmdp"

// emfRecord is one CloudWatch Embedded Metric Format record: a log line
// that CloudWatch turns into metrics without any API call.
type emfRecord struct {
	AWS      emfMeta `json:"_aws"`
	Bytes    int64   `json:"Bytes"`
	Lines    int64   `json:"Lines"`
	Rejected int64   `json:"RejectedLines"`
	Filtered int64   `json:"FilteredLines"`
	Requests int64   `json:"Requests"`
	// OtherLines are the requests counted in (other) rows, beyond the
	// cardinality cap: a flood of distinct paths shows here.
	Other    int64   `json:"OtherLines"`
	Duration float64 `json:"DurationMs"`
	Lag      float64 `json:"LagSeconds"`
	// Properties that are searchable in the log but not dimensions.
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

var emfMetrics = []emfMetric{
	{"Bytes", "Bytes"},
	{"Lines", "Count"},
	{"RejectedLines", "Count"},
	{"FilteredLines", "Count"},
	{"Requests", "Count"},
	{"OtherLines", "Count"},
	{"DurationMs", "Milliseconds"},
	{"LagSeconds", "Seconds"},
}

func (h *Handler) writeMetrics(rep process.Report) {
	if h.Metrics == nil {
		return
	}
	rec := emfRecord{
		AWS: emfMeta{
			Timestamp: time.Now().UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  MetricNamespace,
				Dimensions: [][]string{{}}, // one series for the whole function
				Metrics:    emfMetrics,
			}},
		},
		Bytes:    rep.Bytes,
		Lines:    rep.Stats.Lines,
		Rejected: rep.Stats.Rejected,
		Filtered: rep.Stats.Filtered,
		Requests: rep.Requests,
		Other:    rep.Other,
		Duration: float64(rep.Duration.Microseconds()) / 1000,
		Lag:      rep.Lag.Seconds(),
		Bucket:   rep.Bucket,
		Key:      rep.Key,
	}
	line, err := json.Marshal(rec)
	if err != nil {
		h.Log.Error("encoding metrics", "error", err)
		return
	}
	if _, err := h.Metrics.Write(append(line, '\n')); err != nil {
		h.Log.Error("writing metrics", "error", err)
	}
}
