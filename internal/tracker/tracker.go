// Package tracker holds t.js, the page-view and event tracker that the
// load balancer serves itself from a fixed-response rule and the local
// collector serves byte for byte the same, and the names of its beacon
// protocol.
//
// t.js is written by hand, compact, with no build step: a fixed response
// holds at most contract.MaxResponseBody characters, and the construct
// puts Script into its template as it is here. Its protocol (version 1) is
// documented in the README: each page view or event is one request to
// BeaconPath beside the script, with everything in the query string, so
// that the access log holds all of it.
package tracker

import (
	_ "embed"

	"github.com/pmdp/pmdp/internal/contract"
)

// Script is t.js.
//
//go:embed t.js
var Script string

// The tracker's names, as the load balancer's rule and the README use
// them.
const (
	Path            = "/t.js"                  // where the script is served
	ContentType     = "application/javascript" // its fixed response's content type
	BeaconPath      = "/e"                     // where it sends, beside Path
	ProtocolVersion = "1"                      // its v parameter
)

// Response is the fixed response that serves the script: the load
// balancer's rule for Path answers with it, and so does the collector.
func Response() contract.FixedResponse {
	return contract.FixedResponse{Status: 200, ContentType: ContentType, Body: Script}
}
