package logkey

import "github.com/pmdp/pmdp/internal/contract"

// Filter is contract.Filter, kept under this name for callers not yet
// switched to contract.
type Filter = contract.Filter

// NotificationFilter is contract.NotificationFilter, kept under this name
// for callers not yet switched to contract.
func NotificationFilter(logPrefix string) Filter { return contract.NotificationFilter(logPrefix) }
