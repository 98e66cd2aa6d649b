// Package collector is the local twin of the stack's load balancer: an
// HTTP endpoint that answers every request with the listener's fixed
// response and writes each request as an ALB access-log line, delivering
// gzipped log files at the key layout ALB uses.
package collector

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// FixedResponse is what the listener answers every request with. The CDK
// construct and the local collector take their defaults and limits from
// here, so the two answer alike.
type FixedResponse struct {
	Status      int    // 2xx, 4xx or 5xx; 0 means 204
	ContentType string // one of ContentTypes; "" means text/plain
	Body        string // at most MaxBody characters; default empty
}

// Defaults and limits of a fixed response, as ALB defines them.
const (
	DefaultStatus      = 204
	DefaultContentType = "text/plain"
	MaxBody            = 1024
)

// ContentTypes are the content types ALB allows in a fixed response.
var ContentTypes = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}

var fixedStatus = regexp.MustCompile(`^(2|4|5)\d\d$`)

// WithDefaults fills in the zero fields.
func (f FixedResponse) WithDefaults() FixedResponse {
	if f.Status == 0 {
		f.Status = DefaultStatus
	}
	if f.ContentType == "" {
		f.ContentType = DefaultContentType
	}
	return f
}

// Validate checks f against ALB's rules and reports every problem; field
// names are prefixed with prefix (e.g. "FixedResponse").
func (f FixedResponse) Validate(prefix string) error {
	f = f.WithDefaults()
	var errs []error
	if !fixedStatus.MatchString(fmt.Sprint(f.Status)) {
		errs = append(errs, fmt.Errorf("%sStatus %d: must be 2xx, 4xx or 5xx", prefix, f.Status))
	}
	if !slices.Contains(ContentTypes, f.ContentType) {
		errs = append(errs, fmt.Errorf("%sContentType %q: must be one of %s", prefix, f.ContentType, strings.Join(ContentTypes, ", ")))
	}
	if n := len([]rune(f.Body)); n > MaxBody {
		errs = append(errs, fmt.Errorf("%sBody: %d characters, at most %d", prefix, n, MaxBody))
	}
	return errors.Join(errs...)
}
