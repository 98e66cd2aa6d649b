package handler

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

// UnderLambda reports whether the Lambda runtime started this process.
func UnderLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// Start configures the function from the environment and serves
// invocations until the runtime stops the process. It returns only when
// the configuration is invalid, and then before the first invocation.
func Start() error {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := process.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err)
		return fmt.Errorf("invalid configuration: %w", err)
	}
	store, err := objstore.NewS3FromEnv(context.Background())
	if err != nil {
		log.Error("configuring S3", "error", err)
		return err
	}
	h := &Handler{
		Processor: &process.Processor{Store: store, Config: cfg},
		Log:       log,
		Metrics:   os.Stdout,
	}
	log.Info("configured",
		"summary_bucket", cfg.SummaryBucket, "summary_prefix", cfg.SummaryPrefix,
		"group_by", summary.Names(cfg.Dimensions), "format", string(cfg.Format))
	lambda.Start(h.Handle)
	return nil
}
