package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/handler"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/s3event"
)

func ExampleHandler_Handle() {
	cfg, err := process.ConfigFromEnv(func(name string) string {
		return map[string]string{contract.EnvGroupBy: "date,query:ev"}[name]
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Production builds the store from an S3 client (see Start). This one
	// is empty: every object is gone.
	h := &handler.Handler{
		Processor: &process.Processor{Store: &objstoretest.Store{}, Config: cfg},
		Log: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{} // keep the output stable
				}
				return a
			},
		})),
	}
	ev := s3event.ObjectCreated("us-east-2", "logs", time.Now(),
		s3event.Object{Key: "AWSLogs/123456789012/ELBAccessLogTestFile"},
		s3event.Object{Key: "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" +
			"123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"})
	payload, _ := json.Marshal(ev)
	_, err = h.Handle(context.Background(), payload)
	fmt.Println("error:", err)
	// Output:
	// level=INFO msg="skipped: not an access log" bucket=logs key=AWSLogs/123456789012/ELBAccessLogTestFile kind=test-file
	// level=WARN msg="object is gone; nothing to do" bucket=logs key=AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz
	// error: <nil>
}
