package pipeline

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// FunctionPackage is the import path of the function's main package.
const FunctionPackage = "github.com/pmdp/pmdp/lambda"

var (
	compileOnce sync.Once
	binary      []byte
	compileErr  error
)

// BuildFunction compiles the function for Lambda (provided.al2023, arm64)
// into a new temporary directory holding only `bootstrap`, and returns the
// directory; the caller removes it. It needs the Go toolchain, not Docker.
// The build is reproducible (-trimpath, -buildvcs=false), so the asset
// hash, and with it the deployed function, changes only when the code
// does. The package is found with `go list` from the current directory,
// which works from this module, from a module that imports it (replace
// directives included) and from the module cache. One process compiles
// once; later calls write the same bytes to a new directory.
func BuildFunction() (string, error) {
	compileOnce.Do(func() { binary, compileErr = compileFunction() })
	if compileErr != nil {
		return "", compileErr
	}
	dir, err := os.MkdirTemp("", "pmdp-function-")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), binary, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// compileFunction builds the function and returns the binary. The build
// directory is gone when it returns.
func compileFunction() ([]byte, error) {
	list := exec.Command("go", "list", "-f", "{{.Dir}}", FunctionPackage)
	list.Stderr = os.Stderr
	out, err := list.Output()
	if err != nil {
		return nil, fmt.Errorf("finding %s with go list: %w", FunctionPackage, err)
	}
	pkgDir := strings.TrimSpace(string(out))
	dir, err := os.MkdirTemp("", "pmdp-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w", "-o", bootstrap, ".")
	build.Dir = pkgDir
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the function in %s: %w\n%s", pkgDir, err, msg)
	}
	b, err := os.ReadFile(bootstrap)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("building the function in %s: no bootstrap was written", pkgDir)
	}
	return b, nil
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

// removeBuild removes a directory from BuildFunction once the function
// made from it exists: creating the function staged a copy in the cloud
// assembly. With staging disabled (context aws:cdk:disable-asset-staging,
// which `cdk synth --no-staging` sets) the assembly points at the
// directory itself, which must then stay.
func removeBuild(scope constructs.Construct, dir string) {
	if disabled := scope.Node().TryGetContext(jsii.String("aws:cdk:disable-asset-staging")); disabled != nil && disabled != false {
		return
	}
	os.RemoveAll(dir)
}
