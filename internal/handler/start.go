package handler

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err)
		return fmt.Errorf("loading AWS configuration: %w", err)
	}
	// An endpoint override means an S3-compatible server, which needs
	// path-style addressing (bucket names do not resolve as host names).
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = custom })
	h := &Handler{
		Processor: &process.Processor{Store: objstore.S3{Client: client}, Config: cfg},
		Log:       log,
		Metrics:   os.Stdout,
	}
	log.Info("configured",
		"summary_bucket", cfg.SummaryBucket, "summary_prefix", cfg.SummaryPrefix,
		"group_by", summary.Names(cfg.Dimensions), "format", string(cfg.Format))
	lambda.Start(h.Handle)
	return nil
}
