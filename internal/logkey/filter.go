package logkey

import (
	"errors"
	"fmt"
	"strings"
)

// Filter is the S3 event-notification filter that sends a load balancer's
// access logs, and nothing else, to the function. The CDK stack and the
// local pipeline both take it from here, so they cannot drift apart.
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
