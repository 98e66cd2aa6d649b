package tracker

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/pmdp/pmdp/internal/contract"
)

// The load balancer serves the script from a fixed response: ASCII (so
// characters are bytes), at most MaxResponseBody of them, with a content
// type ALB allows.
func TestScriptFitsAFixedResponse(t *testing.T) {
	if err := Response().Validate("tracker "); err != nil {
		t.Error(err)
	}
	if n := len(Script); n > contract.MaxResponseBody {
		t.Errorf("t.js is %d bytes, the limit is %d", n, contract.MaxResponseBody)
	}
	for i := 0; i < len(Script); i++ {
		if c := Script[i]; c >= 0x80 || (c < 0x20 && c != '\n') {
			t.Fatalf("t.js byte %d is %#x: keep it to printable ASCII, so its size in characters is its size in bytes", i, c)
		}
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write([]byte(Script))
	w.Close()
	if z.Len() > 600 {
		t.Errorf("t.js is %d bytes gzipped, more than 600", z.Len())
	}
	t.Logf("t.js: %d bytes, %d gzipped", len(Script), z.Len())
}
