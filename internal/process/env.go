package process

import (
	"errors"
	"fmt"

	"github.com/pmdp/pmdp/internal/summary"
)

// The environment variables that configure the function (and the
// local pipeline's copy of it).
const (
	EnvSummaryBucket = "PMDP_SUMMARY_BUCKET" // default: the bucket of the event
	EnvSummaryPrefix = "PMDP_SUMMARY_PREFIX" // default: summaries/
	EnvGroupBy       = "PMDP_GROUP_BY"       // default: date,path
	EnvFormat        = "PMDP_FORMAT"         // default: csv
)

// ConfigFromEnv reads the processing configuration from the environment
// through getenv (os.Getenv in production). Every invalid variable is
// reported, each by name.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	var errs []error
	cfg.SummaryBucket = getenv(EnvSummaryBucket)
	if v := getenv(EnvSummaryPrefix); v != "" {
		cfg.SummaryPrefix = v
		if err := ValidatePrefix(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvSummaryPrefix, err))
		}
	}
	if v := getenv(EnvGroupBy); v != "" {
		dims, err := summary.ParseDimensions(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvGroupBy, v, err))
		}
		cfg.Dimensions = dims
	}
	if v := getenv(EnvFormat); v != "" {
		f, err := summary.ParseFormat(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvFormat, v, err))
		}
		cfg.Format = f
	}
	return cfg, errors.Join(errs...)
}
