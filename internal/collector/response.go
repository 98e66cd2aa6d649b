package collector

import "github.com/pmdp/pmdp/internal/contract"

// FixedResponse is contract.FixedResponse, where its defaults and ALB's
// limits are; kept under this name for callers not yet switched.
type FixedResponse = contract.FixedResponse
