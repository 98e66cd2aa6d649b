package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FixedResponse is what the load balancer's listener answers every request
// with. The construct and the local collector take their defaults and
// limits from here, so the two answer alike.
type FixedResponse struct {
	Status      int    // 2xx, 4xx or 5xx; 0 means DefaultResponseStatus
	ContentType string // one of ResponseContentTypes; "" means text/plain
	Body        string // at most MaxResponseBody characters; default empty
}

// Defaults and limits of a fixed response, as ALB defines them.
const (
	DefaultResponseStatus      = 204
	DefaultResponseContentType = "text/plain"
	MaxResponseBody            = 1024
)

// ResponseContentTypes are the content types ALB allows in a fixed
// response.
var ResponseContentTypes = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}

// WithDefaults fills in the zero fields.
func (f FixedResponse) WithDefaults() FixedResponse {
	if f.Status == 0 {
		f.Status = DefaultResponseStatus
	}
	if f.ContentType == "" {
		f.ContentType = DefaultResponseContentType
	}
	return f
}

// Validate checks f against ALB's rules and reports every problem; field
// names are prefixed with prefix (e.g. "FixedResponse").
func (f FixedResponse) Validate(prefix string) error {
	f = f.WithDefaults()
	var errs []error
	if s := f.Status; s < 200 || s > 599 || s/100 == 3 {
		errs = append(errs, fmt.Errorf("%sStatus %d: must be 2xx, 4xx or 5xx", prefix, f.Status))
	}
	if !slices.Contains(ResponseContentTypes, f.ContentType) {
		errs = append(errs, fmt.Errorf("%sContentType %q: must be one of %s", prefix, f.ContentType, strings.Join(ResponseContentTypes, ", ")))
	}
	if n := len([]rune(f.Body)); n > MaxResponseBody {
		errs = append(errs, fmt.Errorf("%sBody: %d characters, at most %d", prefix, n, MaxResponseBody))
	}
	return errors.Join(errs...)
}
