package s3event_test

import (
	"encoding/json"
	"fmt"
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
