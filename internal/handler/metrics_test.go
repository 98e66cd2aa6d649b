package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/process"
)

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// The metrics record of one summarized log holds each figure of its report
// in the metric's unit, and CloudWatch's directive names each of them.
func TestWriteMetrics(t *testing.T) {
	rep := process.Report{
		Bucket: "logs", Key: "AWSLogs/a.log.gz",
		Bytes:    2048,
		Stats:    process.Stats{Lines: 10, Rejected: 1, Filtered: 2},
		Requests: 7,
		Other:    3,
		Duration: 1500 * time.Microsecond,
		Lag:      90*time.Second + 500*time.Millisecond,
	}
	tests := []struct {
		name    string
		rep     process.Report
		want    map[string]any // the record without _aws
		wantLog string         // what the handler logs
	}{
		{
			name: "every figure in its unit",
			rep:  rep,
			want: map[string]any{
				"Bytes": 2048.0, "Lines": 10.0, "RejectedLines": 1.0, "FilteredLines": 2.0, "Requests": 7.0, "OtherLines": 3.0,
				"DurationMs": 1.5, "LagSeconds": 90.5, "bucket": "logs", "key": "AWSLogs/a.log.gz",
			},
		},
		{
			name: "a log with no interval in its name has no lag",
			rep:  process.Report{Bucket: "logs", Key: "x", Duration: time.Millisecond},
			want: map[string]any{
				"Bytes": 0.0, "Lines": 0.0, "RejectedLines": 0.0, "FilteredLines": 0.0, "Requests": 0.0, "OtherLines": 0.0,
				"DurationMs": 1.0, "LagSeconds": 0.0, "bucket": "logs", "key": "x",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, logs bytes.Buffer
			h := &Handler{Metrics: &out, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			before := time.Now().UnixMilli()
			h.writeMetrics(tt.rep)
			if !strings.HasSuffix(out.String(), "}\n") || strings.Count(out.String(), "\n") != 1 {
				t.Errorf("metrics %q, want one JSON line", &out)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			var meta emfMeta
			if b, err := json.Marshal(got["_aws"]); err != nil || json.Unmarshal(b, &meta) != nil {
				t.Fatalf("_aws: %v", got["_aws"])
			}
			delete(got, "_aws")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("record\n%v\nwant\n%v", got, tt.want)
			}
			if meta.Timestamp < before || meta.Timestamp > time.Now().UnixMilli() {
				t.Errorf("Timestamp %d, want the time of writing", meta.Timestamp)
			}
			wantDirective := []emfDirective{{Namespace: "pmdp", Dimensions: [][]string{{}}, Metrics: emfMetrics}}
			if !reflect.DeepEqual(meta.CloudWatchMetrics, wantDirective) {
				t.Errorf("directive %+v, want %+v", meta.CloudWatchMetrics, wantDirective)
			}
			if logs.Len() > 0 {
				t.Errorf("logged %q", &logs)
			}
		})
	}
}

func TestWriteMetricsFails(t *testing.T) {
	var logs bytes.Buffer
	h := &Handler{Metrics: failingWriter{}, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h.writeMetrics(process.Report{Bucket: "logs", Key: "x"})
	if got := logs.String(); !strings.Contains(got, `"level":"ERROR","msg":"writing metrics","error":"disk full"`) {
		t.Errorf("logged %q, want the write's error", got)
	}
}

// Without a metrics writer the handler writes no metrics and logs nothing.
func TestWriteMetricsOff(t *testing.T) {
	var logs bytes.Buffer
	h := &Handler{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h.writeMetrics(process.Report{Bucket: "logs", Key: "x"})
	if logs.Len() > 0 {
		t.Errorf("logged %q", &logs)
	}
}
