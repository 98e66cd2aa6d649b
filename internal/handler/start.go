package handler

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

// UnderLambda reports whether the Lambda runtime started this process.
func UnderLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// Main configures the function from its environment and serves
// invocations until the runtime stops the process. It returns only when
// the function cannot start, having logged why, with the exit status to
// end the process with, before the first invocation.
func Main() int { return start(os.Getenv, os.Stdout) }

// start is Main with the environment read through getenv and the logs and
// metrics written to out, which Lambda sends to CloudWatch.
func start(getenv func(string) string, out io.Writer) int {
	log := slog.New(slog.NewJSONHandler(out, nil))
	settings := contract.SettingsFromEnv(getenv)
	cfg, err := process.NewConfig(settings)
	if err != nil {
		log.Error("invalid configuration", "error", err)
		return 1
	}
	store, err := objstore.NewS3FromEnv(context.Background())
	if err != nil {
		log.Error("configuring S3", "error", err)
		return 1
	}
	h := &Handler{
		Processor: &process.Processor{Store: store, Config: cfg},
		Rollups:   cfg.Rollups(store, ""),
		Log:       log,
		Metrics:   out,
		Report:    settings.Report,
	}
	log.Info("configured",
		"summary_bucket", cfg.SummaryBucket, "summary_prefix", cfg.SummaryPrefix,
		"group_by", summary.Names(cfg.Dimensions), "format", string(cfg.Format),
		"rollup_prefix", cfg.RollupPrefix, "rollup_days", cfg.RollupDays, "report", settings.Report)
	lambda.Start(h.Handle)
	return 0 // not reached: lambda.Start serves until the process ends
}
