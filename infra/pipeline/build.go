package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/klauspost/compress/zip"
)

// FunctionPackage is the import path of the function's main package.
const FunctionPackage = "github.com/pmdp/pmdp/lambda"

// bootstrapMode is the mode of bootstrap in the function's archive. Lambda
// runs the file under a user of its own, so it must be executable by all,
// whatever the umask of the machine that compiled it.
const bootstrapMode fs.FileMode = 0o755

// archiveTime is the modification time of bootstrap in the archive: fixed,
// so that the same binary always gives the same archive.
var archiveTime = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// functionArchive compiles and archives the function once per process.
var functionArchive = sync.OnceValues(buildFunctionArchive)

// BuildFunction compiles the function for Lambda (provided.al2023, arm64)
// and writes it to a new temporary file: a zip archive whose only entry is
// bootstrap, a regular file with mode 0755. It returns the file's path;
// the caller removes it.
//
// CDK deploys a .zip asset as it is and hashes its bytes, so the mode
// Lambda sees does not depend on the machine that built it, and the asset
// hash covers the mode as well as the code. Everything else that goes into
// the bytes is fixed too: the build is reproducible (-trimpath,
// -buildvcs=false), it uses the Go toolchain named by the toolchain
// directive of the function's go.mod (the go command downloads it when
// it is not the local one), and the archive has a fixed time and a
// compressor pinned in go.mod. So the hash, and with it the deployed
// function, changes only when the function does, on any machine. It needs
// the Go toolchain, not Docker.
//
// The package is found with `go list` from the current directory, which
// works from this module, from a module that imports it (replace
// directives included) and from the module cache. One process builds
// once; later calls write the same bytes to a new file.
func BuildFunction() (string, error) {
	archive, err := functionArchive()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "pmdp-function-*.zip")
	if err != nil {
		return "", err
	}
	_, err = f.Write(archive)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing the function's archive %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// buildFunctionArchive compiles the function and archives it.
func buildFunctionArchive() ([]byte, error) {
	binary, err := compileFunction()
	if err != nil {
		return nil, err
	}
	return zipBootstrap(binary, bootstrapMode)
}

// zipBootstrap returns a zip archive whose only entry is binary as
// bootstrap, a regular file with mode. Nothing else goes into the bytes:
// the entry's time is fixed, and the archive and its compression come
// from a module pinned in go.mod, not from the standard library of
// whichever Go compiled this program (its deflate output is not promised
// to stay the same from one release to the next).
func zipBootstrap(binary []byte, mode fs.FileMode) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: archiveTime}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("archiving the function: %w", err)
	}
	if _, err := w.Write(binary); err != nil {
		return nil, fmt.Errorf("archiving the function: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("archiving the function: %w", err)
	}
	return buf.Bytes(), nil
}

// compileFunction builds the function with its pinned toolchain and
// returns the binary. The build directory is gone when it returns.
func compileFunction() ([]byte, error) {
	list := exec.Command("go", "list", "-f", "{{.Dir}}", FunctionPackage)
	list.Stderr = os.Stderr
	out, err := list.Output()
	if err != nil {
		return nil, fmt.Errorf("finding %s with go list: %w", FunctionPackage, err)
	}
	pkgDir := strings.TrimSpace(string(out))
	toolchain, err := pinnedToolchain(pkgDir)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pmdp-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w", "-o", bootstrap, ".")
	build.Dir = pkgDir
	// GOTOOLCHAIN names one release, so neither a newer local Go nor
	// GOTOOLCHAIN=local in the developer's settings builds it. GOARM64 is
	// fixed at its default, which every Lambda arm64 processor runs, for
	// the same reason: a developer's own setting would change the binary.
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "GOARM64=v8.0", "CGO_ENABLED=0",
		"GOTOOLCHAIN="+toolchain)
	if msg, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the function in %s with %s: %w\n%s", pkgDir, toolchain, err, msg)
	}
	b, err := os.ReadFile(bootstrap)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("building the function in %s: no bootstrap was written", pkgDir)
	}
	return b, nil
}

// pinnedToolchain returns the toolchain named by the toolchain directive
// of the go.mod that governs dir, such as go1.26.8.
func pinnedToolchain(dir string) (string, error) {
	edit := exec.Command("go", "mod", "edit", "-json")
	edit.Dir = dir
	edit.Stderr = os.Stderr
	out, err := edit.Output()
	if err != nil {
		return "", fmt.Errorf("reading the go.mod of %s: %w", dir, err)
	}
	var mod struct{ Toolchain string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("reading the go.mod of %s: %w", dir, err)
	}
	switch {
	case mod.Toolchain == "":
		return "", fmt.Errorf("the go.mod of %s has no toolchain directive: the function's build needs one naming a Go release, such as toolchain go1.26.8", dir)
	case !strings.HasPrefix(mod.Toolchain, "go1."):
		return "", fmt.Errorf("the go.mod of %s names toolchain %s: the function's build needs a Go release, such as go1.26.8", dir, mod.Toolchain)
	}
	return mod.Toolchain, nil
}

// mustBuildFunction is BuildFunction at the construct boundary, where
// CDK's own errors are panics too.
func mustBuildFunction() string {
	archive, err := BuildFunction()
	if err != nil {
		panic(err)
	}
	return archive
}

// removeBuild removes an archive from BuildFunction once the function made
// from it exists: creating the function staged a copy in the cloud
// assembly. With staging disabled (context aws:cdk:disable-asset-staging,
// which `cdk synth --no-staging` sets) the assembly points at the archive
// itself, which must then stay.
func removeBuild(scope constructs.Construct, archive string) {
	if disabled := scope.Node().TryGetContext(jsii.String("aws:cdk:disable-asset-staging")); disabled != nil && disabled != false {
		return
	}
	os.Remove(archive)
}
