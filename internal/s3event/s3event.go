// Package s3event builds S3 event notifications shaped exactly as S3 sends
// them, for the local pipeline and for tests, and reads them back from
// where failed ones are kept, for reprocessing.
package s3event

import (
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// EncodeKey encodes an object key as S3 writes it into notifications:
// form-encoded (a space is "+", a "+" is "%2B"), with "/" left as it is.
func EncodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// Object is one created object to report.
type Object struct {
	Key  string // as stored, not encoded
	Size int64
	ETag string
}

// ObjectCreated returns the notification S3 sends when objects are put into
// bucket, one record per object, all at time at.
func ObjectCreated(region, bucket string, at time.Time, objects ...Object) events.S3Event {
	ev := events.S3Event{Records: make([]events.S3EventRecord, 0, len(objects))}
	for _, o := range objects {
		ev.Records = append(ev.Records, events.S3EventRecord{
			EventVersion: "2.1",
			EventSource:  "aws:s3",
			AWSRegion:    region,
			EventTime:    at.UTC(),
			EventName:    "ObjectCreated:Put",
			S3: events.S3Entity{
				SchemaVersion: "1.0",
				Bucket:        events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
				Object: events.S3Object{
					Key:           EncodeKey(o.Key),
					URLDecodedKey: o.Key,
					Size:          o.Size,
					ETag:          strings.Trim(o.ETag, `"`),
				},
			},
		})
	}
	return ev
}
