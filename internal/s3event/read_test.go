package s3event

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pmdp/pmdp/internal/contract"
)

func TestRead(t *testing.T) {
	at := time.Date(2026, 11, 26, 0, 5, 0, 0, time.UTC)
	event := func(bucket string, keys ...string) string {
		var objs []Object
		for _, k := range keys {
			objs = append(objs, Object{Key: k})
		}
		b, err := json.Marshal(ObjectCreated("us-east-1", bucket, at, objs...))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pretty, err := json.MarshalIndent(ObjectCreated("us-east-1", "logs", at, Object{Key: "a b/c+d.log.gz"}), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	destination, err := os.ReadFile("testdata/lambda-failure.json")
	if err != nil {
		t.Fatal(err)
	}
	local := func(ev string) string {
		return `{"time":"2026-11-26T06:12:07Z","event":` + ev + `,"error":"x","attempts":3}`
	}
	failed, err := os.ReadFile("testdata/backfill-FAILED_0.json")
	if err != nil {
		t.Fatal(err)
	}
	// The same file as JSON Lines (the ResultWriter's OutputType JSONL).
	var children []json.RawMessage
	if err := json.Unmarshal(failed, &children); err != nil {
		t.Fatal(err)
	}
	var failedLines strings.Builder
	for _, c := range children {
		var line bytes.Buffer
		if err := json.Compact(&line, c); err != nil {
			t.Fatal(err)
		}
		failedLines.WriteString(line.String() + "\n")
	}
	const folder = "my-log-bucket/logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2025/03/"
	failedKeys := []string{
		folder + "07/123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20250307T0005Z_10.0.1.5_1f3kq9zx.log.gz",
		folder + "07/123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20250307T0005Z_10.0.2.7_5c8wm2ta.log.gz",
		folder + "07/123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20250307T0010Z_10.0.1.5_0b7rj4nd.log.gz",
		// Not 2025/03/06/...: outside the batch's dates, skipped by the function.
		folder + "09/123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20250309T2355Z_10.0.1.5_7a4tv1mc.log.gz",
	}
	child := func(input string) string {
		return `{"ExecutionArn":"arn:aws:states:eu-west-1:123456789012:express:B/Process:m:c","Input":` + input + `,"Status":"FAILED"}`
	}
	batch := func(bucket, from, to string, keys ...string) string {
		var b contract.BackfillBatch
		for _, k := range keys {
			b.Items = append(b.Items, contract.BackfillItem{Key: k})
		}
		b.BatchInput = contract.BackfillBatchInput{Op: contract.BackfillOp, Bucket: bucket, From: from, To: to}
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(j)
	}
	quoted := func(s string) string {
		j, _ := json.Marshal(s)
		return string(j)
	}
	tests := []struct {
		name    string
		input   string
		want    []string // bucket/key, keys decoded
		wantErr string
	}{
		{"S3 event, pretty-printed", string(pretty), []string{"logs/a b/c+d.log.gz"}, ""},
		{"S3 event with two records", event("logs", "x.log.gz", "y.log.gz"), []string{"logs/x.log.gz", "logs/y.log.gz"}, ""},
		{"Lambda destination record", string(destination), []string{"logs/logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"}, ""},
		{"local failures, one a line, CRLF and blank lines",
			local(event("logs", "x.log.gz")) + "\r\n\r\n" + local(event("other", "é.log.gz")) + "\r\n",
			[]string{"logs/x.log.gz", "other/é.log.gz"}, ""},
		{"every kind, one a line",
			event("a", "1") + "\n" + strings.ReplaceAll(string(destination), "\n", "") + "\n" + local(event("c", "3")) + "\n",
			[]string{"a/1", "logs/logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz", "c/3"}, ""},
		{"failed rollup sweeps among them, passed over",
			local(`{"pmdp":"rollup"}`) + "\n" + local(event("a", "1")) + "\n" + `{"requestPayload":{"pmdp":"rollup","dates":["2026-11-20"]},"responsePayload":{}}` + "\n",
			[]string{"a/1"}, ""},
		{"a rollup sweep alone", local(`{"pmdp":"rollup"}`), nil, "rollup sweep"},
		{"only rollup sweeps", local(`{"pmdp":"rollup"}`) + "\n" + local(`{"pmdp":"rollup"}`) + "\n", nil, "only rollup sweeps: 'pmdp rollup s3://BUCKET' rebuilds their rollups, and the next scheduled sweep does too (2 of them)"},
		{"backfill FAILED file, a JSON array", string(failed), failedKeys, ""},
		{"backfill FAILED file, JSON Lines", failedLines.String(), failedKeys, ""},
		{"child execution whose Input is an object", child(batch("b", "2025-03-07", "2025-03-07", "my logs/a+b/2025/03/07/x.log.gz")), []string{"b/my logs/a+b/2025/03/07/x.log.gz"}, ""},
		{"child executions in an array, one wholly outside its dates",
			"[" + child(quoted(batch("b", "2025-03-07", "2025-03-07", "l/2025/03/06/x.log.gz"))) + "," + child(quoted(batch("b", "2025-03-07", "2025-03-07", "l/2025/03/07/y.log.gz"))) + "]",
			[]string{"b/l/2025/03/07/y.log.gz"}, ""},
		{"a batch wholly outside its dates", child(quoted(batch("b", "2025-03-07", "2025-03-07", "l/2025/03/06/x.log.gz"))), nil, "no S3 event records"},
		{"a child execution without its input", `{"ExecutionArn":"arn:x","InputDetails":{"Included":false},"Status":"FAILED"}`, nil, "child execution arn:x: the file holds no Input"},
		{"a child execution that is not a backfill's", child(quoted(`{"Items":[{"Key":"k"}],"BatchInput":{"pmdp":"rollup"}}`)), nil, `backfill batch input has pmdp "rollup"`},
		{"a child execution whose input is no batch", child(`"[1,2]"`), nil, "its Input is not a backfill batch"},
		{"an array with a bad element", "[" + event("a", "1") + `,{"time":"x","event":{}}]`, nil, "element 1: no S3 event records"},
		{"an empty array", "[]", nil, "no S3 event records"},
		{"a bad line, named by number", event("a", "1") + "\n\n" + "not json\n", nil, "line 3: invalid character"},
		{"a line without records", event("a", "1") + "\n" + `{"time":"x","event":{}}` + "\n", nil, "line 2: no S3 event records"},
		{"S3's test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"logs"}`, nil, "no S3 event records"},
		{"an event that is not an object", local(`"text"`), nil, "no S3 event records"},
		{"an event that is not S3's", local(`{"Records":"x"}`), nil, "cannot unmarshal string"},
		{"empty", " \n\n", nil, "no S3 event records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := Read(strings.NewReader(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read() = %d records, error %v; want an error with %q", len(recs), err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.S3.Bucket.Name+"/"+r.S3.Object.URLDecodedKey)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Read() = %q, want %q", got, tt.want)
			}
		})
	}
}

// Input with no lines at all is not a failure record of rollup sweeps:
// its error must not send the reader to rebuild rollups.
func TestReadNothing(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"no bytes", ""},
		{"blank lines", " \n\r\n\t\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := Read(strings.NewReader(tt.input))
			if err == nil || err.Error() != "no S3 event records" {
				t.Fatalf("Read() = %d records, error %v; want exactly %q", len(recs), err, "no S3 event records")
			}
		})
	}
}

// The records of a failed backfill batch travel as S3's do: their keys,
// listed as stored, are URL-encoded as S3 encodes them, so that whoever
// decodes the record (aws-lambda-go, 'pmdp process') gets the key back.
func TestReadBackfillRecordsRoundTrip(t *testing.T) {
	const key = "my logs/a+b/café/2025/03/07/x 1.log.gz"
	input, err := json.Marshal(contract.BackfillBatch{
		Items:      []contract.BackfillItem{{Key: key}},
		BatchInput: contract.BackfillBatchInput{Op: contract.BackfillOp, Bucket: "logs", From: "2025-03-07", To: "2025-03-07"},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(map[string]any{"ExecutionArn": "arn:aws:states:eu-west-1:123456789012:express:B/Process:m:c", "Input": string(input), "Status": "FAILED"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Read(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.S3.Object.Key != "my+logs/a%2Bb/caf%C3%A9/2025/03/07/x+1.log.gz" || r.S3.Object.URLDecodedKey != key || r.AWSRegion != "eu-west-1" || r.S3.Bucket.Name != "logs" {
		t.Errorf("record %+v", r)
	}
	b, err := json.Marshal(events.S3Event{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	var back events.S3Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Records[0].S3.Object.URLDecodedKey; got != key {
		t.Errorf("decoded %q, want %q", got, key)
	}
}
