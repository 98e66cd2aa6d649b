package pipeline

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// FunctionPackage is the import path of the function's main package.
const FunctionPackage = "github.com/pmdp/pmdp/lambda"

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// BuildFunction compiles the function for Lambda (provided.al2023, arm64)
// into a new directory holding only `bootstrap`, and returns the directory.
// It needs the Go toolchain, not Docker. The build is reproducible
// (-trimpath, -buildvcs=false), so the asset hash, and with it the deployed
// function, changes only when the code does. The package is found with
// `go list` from the current directory, which works from this module,
// from a module that imports it (replace directives included) and from the
// module cache. One process builds once.
func BuildFunction() (string, error) {
	buildOnce.Do(func() { buildDir, buildErr = buildFunction() })
	return buildDir, buildErr
}

func buildFunction() (string, error) {
	list := exec.Command("go", "list", "-f", "{{.Dir}}", FunctionPackage)
	list.Stderr = os.Stderr
	out, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("finding %s with go list: %w", FunctionPackage, err)
	}
	pkgDir := strings.TrimSpace(string(out))
	dir, err := os.MkdirTemp("", "pmdp-function-")
	if err != nil {
		return "", err
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w", "-o", bootstrap, ".")
	build.Dir = pkgDir
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the function in %s: %w\n%s", pkgDir, err, msg)
	}
	if info, err := os.Stat(bootstrap); err != nil || info.Size() == 0 {
		return "", fmt.Errorf("building the function in %s: no bootstrap was written", pkgDir)
	}
	return dir, nil
}

// mustBuildFunction is BuildFunction at the construct boundary, where
// CDK's own errors are panics too.
func mustBuildFunction() string {
	dir, err := BuildFunction()
	if err != nil {
		panic(err)
	}
	return dir
}
