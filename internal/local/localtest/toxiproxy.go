package localtest

import (
	"net"
	"os"
	"os/exec"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// Toxiproxy starts Shopify's toxiproxy server (PMDP_TOXIPROXY), a TCP
// proxy that injects faults into the connections through it, and returns
// a client for its API; the server stops when the test ends. Without
// PMDP_TOXIPROXY the test is skipped (fails when CI is set).
func Toxiproxy(t *testing.T) *toxiproxy.Client {
	t.Helper()
	bin := Tool(t, "PMDP_TOXIPROXY")
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	// A fixed seed: toxics this package's tests add have toxicity 1, so
	// nothing is drawn, but a run must not depend on a random one.
	cmd := exec.Command(bin, "-host", host, "-port", port, "-seed", "1")
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn") // not a line per connection
	serve(t, "toxiproxy", cmd, addr)
	return toxiproxy.NewClient(addr)
}
