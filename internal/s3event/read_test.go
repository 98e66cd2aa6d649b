package s3event

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
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
