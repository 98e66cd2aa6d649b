package localtest

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/pmdp/pmdp/internal/local"
)

// freeAddr returns a loopback address no one listens on, for a server
// started next.
func freeAddr(t testing.TB) string {
	t.Helper()
	port, err := local.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + port
}

// serve starts cmd, a server that will listen on addr, in a process group
// of its own, and returns once it accepts connections. The group is
// stopped when the test ends; a failed test logs what the server wrote.
func serve(t testing.TB, name string, cmd *exec.Cmd, addr string) {
	t.Helper()
	output := new(Output)
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, output)
		}
	})
	if err := local.WaitListening(context.Background(), addr); err != nil {
		t.Fatalf("%s did not start: %v", name, err)
	}
}

func mkdirs(dirs ...string) error {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}
