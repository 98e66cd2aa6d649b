package s3event

import (
	"bytes"
	"os"
	"testing"
)

// FuzzRead: whatever a failure queue, a failure file or a backfill's
// results file holds, Read either names records to process or says why
// there are none; it never panics, and it never answers with neither.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"testdata/lambda-failure.json", "testdata/backfill-FAILED_0.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"pmdp":"rollup"}` + "\n" + `{"time":"x","event":{"Records":[{"s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}}`))
	f.Add([]byte(`[{"ExecutionArn":"arn:aws:states:us-east-1:1:execution:m/Process:x","Input":"{\"Items\":[{\"Key\":\"p/2025/03/07/f\"}],\"BatchInput\":{\"pmdp\":\"backfill\",\"bucket\":\"b\",\"from\":\"2025-03-07\",\"to\":\"2025-03-07\"}}"}]`))
	f.Add([]byte(" \n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Read(bytes.NewReader(data))
		if (err == nil) != (len(recs) > 0) {
			t.Fatalf("Read(%q) = %d records, error %v: want records or an error", data, len(recs), err)
		}
	})
}
