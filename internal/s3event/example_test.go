package s3event_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pmdp/pmdp/internal/s3event"
)

func ExampleObjectCreated() {
	ev := s3event.ObjectCreated("us-east-2", "logs", time.Date(2026, 11, 26, 0, 5, 0, 0, time.UTC),
		s3event.Object{Key: "my logs/a+b/café.log.gz", Size: 42})
	r := ev.Records[0]
	fmt.Println(r.EventName, r.S3.Bucket.Name)
	fmt.Println(r.S3.Object.Key) // as S3 sends it
	b, _ := json.Marshal(ev)
	fmt.Println(len(b) > 0)
	// Output:
	// ObjectCreated:Put logs
	// my+logs/a%2Bb/caf%C3%A9.log.gz
	// true
}

// A backfill's failed batch, as Step Functions' ResultWriter records it
// (here one JSON line of the JSONL output type; FAILED_0.json holds a JSON
// array of them): one record per key in the batch's dates.
func ExampleRead_backfillFailures() {
	failed := `{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:express:PmdpBackfill/Process:m:c","Status":"FAILED",` +
		`"Input":"{\"Items\":[{\"Key\":\"my logs/2025/03/06/a.log.gz\"},{\"Key\":\"my logs/2025/03/07/b.log.gz\"}],` +
		`\"BatchInput\":{\"pmdp\":\"backfill\",\"bucket\":\"logs\",\"from\":\"2025-03-07\",\"to\":\"2025-03-09\"}}"}` + "\n"
	records, err := s3event.Read(strings.NewReader(failed))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range records {
		fmt.Println(r.AWSRegion, r.S3.Bucket.Name, r.S3.Object.URLDecodedKey, r.S3.Object.Key)
	}
	// Output:
	// us-east-1 logs my logs/2025/03/07/b.log.gz my+logs/2025/03/07/b.log.gz
}
