// Package localtest runs the local pipeline for tests: the function's real
// binary under aws-lambda-rie, with versitygw as S3. The tools are pinned
// and installed by `make tools`; the Makefile points these variables at
// them:
//
//	PMDP_RIE        path of aws-lambda-rie
//	PMDP_VERSITYGW  path of versitygw
//
// Without them a test that calls Start is skipped, so that `go test ./...`
// works anywhere.
package localtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pmdp/pmdp/internal/local"
)

// Start builds the function from the package at dir (as `go build` takes
// it, relative to the test's directory), starts the pipeline with cfg and
// closes it when the test ends. cfg's tool paths, Bootstrap, DataDir and
// ProcessOutput are set here; the returned Output holds what the processes
// wrote, and is logged when the test has failed.
func Start(t *testing.T, dir string, cfg local.Config) (*local.Pipeline, *Output) {
	t.Helper()
	cfg.RIE, cfg.VersityGW = os.Getenv("PMDP_RIE"), os.Getenv("PMDP_VERSITYGW")
	if cfg.RIE == "" || cfg.VersityGW == "" {
		t.Skip("PMDP_RIE and PMDP_VERSITYGW are not set; `make test` and `make e2e` set them")
	}
	tmp := t.TempDir()
	cfg.Bootstrap, cfg.DataDir = filepath.Join(tmp, "bootstrap"), filepath.Join(tmp, "data")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", cfg.Bootstrap, dir)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the function: %v\n%s", err, out)
	}
	output := new(Output)
	cfg.ProcessOutput = output
	p, err := local.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			t.Logf("processes' output:\n%s", output)
		}
	})
	return p, output
}

// Output collects the processes' output, which several goroutines write.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
