package contract

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultLogPrefix is where the construct's load balancer writes its
// access logs.
const DefaultLogPrefix = "logs"

// ValidateSummaryPrefix checks a summary prefix: the function refuses to
// process keys under it, so it must be a whole folder and must not hold
// the logs.
func ValidateSummaryPrefix(prefix string) error {
	return validateFolder("summary", prefix)
}

// validateFolder checks a prefix that must be a whole folder apart from
// the logs; what is "summary" or "rollup".
func validateFolder(what, prefix string) error {
	switch {
	case prefix == "":
		return fmt.Errorf("%s prefix is empty: every key would count as a %s", what, what)
	case !strings.HasSuffix(prefix, "/"):
		return fmt.Errorf("%s prefix %q must end in /", what, prefix)
	case strings.HasPrefix(prefix, "/"):
		return fmt.Errorf("%s prefix %q must not start with /", what, prefix)
	case strings.Contains(prefix, "AWSLogs/"):
		return fmt.Errorf("%s prefix %q must not contain AWSLogs/, where load balancers write logs", what, prefix)
	}
	return nil
}

// ValidateLogPrefix checks a prefix given to a load balancer's access
// logging: AWS refuses one that contains AWSLogs, and slashes at either end
// would give keys with empty path segments.
func ValidateLogPrefix(prefix string) error {
	var errs []error
	if strings.Contains(prefix, "AWSLogs") {
		errs = append(errs, fmt.Errorf("log prefix %q must not contain AWSLogs", prefix))
	}
	if strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
		errs = append(errs, fmt.Errorf("log prefix %q must not start or end with /", prefix))
	}
	if strings.Contains(prefix, "//") {
		errs = append(errs, fmt.Errorf("log prefix %q must not contain //", prefix))
	}
	return errors.Join(errs...)
}

// ValidateSameBucket checks a summary prefix for summaries written into
// the bucket that holds the logs: the function refuses every key under the
// summary prefix as its own output, so no access log may fall under it.
func ValidateSameBucket(logPrefix, summaryPrefix string) error {
	if strings.HasPrefix(NotificationFilter(logPrefix).Prefix, summaryPrefix) {
		return fmt.Errorf("summary prefix %q contains the log prefix %q: logs would be refused as summaries", summaryPrefix, logPrefix)
	}
	return nil
}

// Filter is the S3 event-notification filter that sends a load balancer's
// access logs, and nothing else, to the function. The construct (the
// notification, the lifecycle rule, the function's permissions) and the
// local pipeline all take it from here, so they cannot drift apart.
type Filter struct {
	Prefix string // every access log key starts with it
	Suffix string // ALB access logs are gzip files
}

// NotificationFilter is the filter for an ALB logging under logPrefix
// ("" for the bucket's root): <logPrefix>/AWSLogs/ and .log.gz.
func NotificationFilter(logPrefix string) Filter {
	p := "AWSLogs/"
	if logPrefix != "" {
		p = logPrefix + "/" + p
	}
	return Filter{Prefix: p, Suffix: ".log.gz"}
}

// Matches reports whether S3 would deliver a notification for key.
func (f Filter) Matches(key string) bool {
	return strings.HasPrefix(key, f.Prefix) && strings.HasSuffix(key, f.Suffix)
}

// ValidateRollupPrefix checks a rollup prefix by the summary prefix's
// rules: the function refuses to process keys under it too.
func ValidateRollupPrefix(prefix string) error {
	return validateFolder("rollup", prefix)
}

// ValidatePrefixesApart checks that a rollup prefix and a summary prefix,
// in the same bucket, do not hold each other's keys: a rollup read as a
// summary would count its inputs twice, and Athena reads every object
// under a table's location.
func ValidatePrefixesApart(summaryPrefix, rollupPrefix string) error {
	if strings.HasPrefix(summaryPrefix, rollupPrefix) || strings.HasPrefix(rollupPrefix, summaryPrefix) {
		return fmt.Errorf("rollup prefix %q and summary prefix %q overlap: one holds the other's keys", rollupPrefix, summaryPrefix)
	}
	return nil
}
