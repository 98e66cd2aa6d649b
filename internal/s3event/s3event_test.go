package s3event

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestEncodeKeyRoundTrips(t *testing.T) {
	tests := []struct{ key, encoded string }{
		{"AWSLogs/1/x.log.gz", "AWSLogs/1/x.log.gz"},
		{"my logs/x", "my+logs/x"},
		{"a+b/x", "a%2Bb/x"},
		{"jöurnal/x", "j%C3%B6urnal/x"},
		{"100%/x", "100%25/x"},
	}
	for _, tt := range tests {
		if got := EncodeKey(tt.key); got != tt.encoded {
			t.Errorf("EncodeKey(%q) = %q, want %q", tt.key, got, tt.encoded)
		}
		// aws-lambda-go decodes what S3 sends back to the key.
		b, _ := json.Marshal(ObjectCreated("us-east-1", "b", time.Unix(0, 0), Object{Key: tt.key}))
		var ev events.S3Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		if got := ev.Records[0].S3.Object.URLDecodedKey; got != tt.key {
			t.Errorf("decoded %q, want %q", got, tt.key)
		}
	}
}
