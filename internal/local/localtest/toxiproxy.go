package localtest

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// Toxiproxy starts Shopify's toxiproxy server (PMDP_TOXIPROXY), a TCP
// proxy that injects faults into the connections through it, and returns
// a client for its API; the server stops when the test ends. Without
// PMDP_TOXIPROXY the test is skipped (fails when CI is set).
func Toxiproxy(t *testing.T) *toxiproxy.Client {
	t.Helper()
	bin := Tool(t, "PMDP_TOXIPROXY")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	output := new(Output)
	// A fixed seed: toxics this package's tests add have toxicity 1, so
	// nothing is drawn, but a run must not depend on a random one.
	cmd := exec.Command(bin, "-host", host, "-port", port, "-seed", "1")
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn") // not a line per connection
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("toxiproxy's output:\n%s", output)
		}
	})
	addr := net.JoinHostPort(host, port)
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("toxiproxy did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return toxiproxy.NewClient(addr)
}
