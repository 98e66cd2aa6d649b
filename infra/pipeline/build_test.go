package pipeline

// Tests of the function's code: built from source, staged in the cloud
// assembly, or given.

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// The function's code is built from source once and hashed by content, so
// two synths of unchanged code give the same asset: no redeploy.
func TestStableAssetHash(t *testing.T) {
	first := synth(t, nil).function(t)["Code"]
	second := synth(t, nil).function(t)["Code"]
	jsonEq(t, "code of two synths", second, first)

	// Compiling and archiving again gives the same bytes as the archive
	// this process built once and hands out.
	path, err := BuildFunction()
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	handedOut, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := buildFunctionArchive()
	if err != nil {
		t.Fatal(err)
	}
	if len(handedOut) == 0 || !bytes.Equal(handedOut, fresh) {
		t.Errorf("two builds of the same source differ (archives of %d and %d bytes)", len(handedOut), len(fresh))
	}
}

// The archive holds the binary as bootstrap with the mode it is given, and
// its bytes depend on nothing else: the same binary and mode give the same
// archive, and another mode another archive, so the asset hash, which CDK
// computes from the archive's bytes, changes with the mode.
func TestZipBootstrap(t *testing.T) {
	binary := bytes.Repeat([]byte("\x7fELF not really a binary "), 1000)
	archives := map[fs.FileMode][]byte{}
	for _, tc := range []struct {
		name string
		mode fs.FileMode
		want string
	}{
		{"executable by all", 0o755, "-rwxr-xr-x"},
		{"owner only, as under umask 077", 0o700, "-rwx------"},
		{"not executable", 0o644, "-rw-r--r--"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			archive, err := zipBootstrap(binary, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			again, err := zipBootstrap(binary, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(archive, again) {
				t.Error("two archives of the same binary and mode differ")
			}
			entry := onlyEntry(t, archive)
			if got := entry.mode.String(); got != tc.want {
				t.Errorf("mode %s, want %s", got, tc.want)
			}
			if !bytes.Equal(entry.content, binary) {
				t.Errorf("content of %d bytes, want the %d-byte binary", len(entry.content), len(binary))
			}
			if !entry.modified.Equal(archiveTime) {
				t.Errorf("modified %v, want the fixed %v", entry.modified, archiveTime)
			}
			if len(archive) >= len(binary) {
				t.Errorf("archive of %d bytes for a %d-byte binary: not compressed", len(archive), len(binary))
			}
			archives[tc.mode] = archive
		})
	}
	if bytes.Equal(archives[0o755], archives[0o700]) || bytes.Equal(archives[0o755], archives[0o644]) {
		t.Error("archives with different modes have the same bytes")
	}
}

// An archive that differs only in the mode of bootstrap is another asset:
// CDK hashes a .zip asset's bytes. (It hashes a directory by the content
// of its files, without their modes: the cause of the bug this guards
// against.)
func TestAssetHashCoversMode(t *testing.T) {
	keys := map[fs.FileMode]any{}
	for _, mode := range []fs.FileMode{0o755, 0o700} {
		archive, err := zipBootstrap([]byte("prebuilt"), mode)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "function.zip")
		if err := os.WriteFile(path, archive, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _ := synth(t, &Props{Code: awslambda.Code_FromAsset(jsii.String(path), nil)}).function(t)["Code"].(map[string]any)
		keys[mode] = code["S3Key"]
	}
	if keys[0o755] == nil || keys[0o755] == keys[0o700] {
		t.Errorf("archives that differ in mode only have the asset keys %v and %v", keys[0o755], keys[0o700])
	}
}

// The function is compiled with the toolchain go.mod pins and the settings
// Lambda needs, whatever Go runs the synth and whatever the developer's
// environment says: the staged binary tells how it was built.
func TestFunctionBuildSettings(t *testing.T) {
	pinned, err := pinnedToolchain(".")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOTOOLCHAIN", "local")
	t.Setenv("GOARM64", "v8.2")
	t.Setenv("GOARCH", "amd64")
	functionArchive = sync.OnceValues(buildFunctionArchive) // compile again, in this environment

	s := synth(t, nil)
	entry := onlyEntry(t, readFile(t, stagedArchive(t, s.outdir, "Test", s.function(t))))
	info, err := buildinfo.Read(bytes.NewReader(entry.content))
	if err != nil {
		t.Fatalf("the staged bootstrap: %v", err)
	}
	if info.GoVersion != pinned {
		t.Errorf("the function was built with %s, want %s from go.mod", info.GoVersion, pinned)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{
		"GOOS": "linux", "GOARCH": "arm64", "GOARM64": "v8.0", "CGO_ENABLED": "0",
		"-tags": "lambda.norpc", "-trimpath": "true",
	} {
		if settings[key] != want {
			t.Errorf("built with %s=%q, want %q", key, settings[key], want)
		}
	}
	for key := range settings {
		if strings.HasPrefix(key, "vcs") {
			t.Errorf("built with %s=%s: the commit would change the binary", key, settings[key])
		}
	}
	// -trimpath keeps -ldflags out of the build info; "-s -w" shows as a
	// binary without a symbol table.
	bin, err := elf.NewFile(bytes.NewReader(entry.content))
	if err != nil {
		t.Fatalf("the staged bootstrap: %v", err)
	}
	if bin.Section(".symtab") != nil {
		t.Error("the staged bootstrap has a symbol table: not built with -ldflags \"-s -w\"")
	}
}

// The toolchain comes from the go.mod that governs the package's
// directory, and must name a Go release.
func TestPinnedToolchainDirective(t *testing.T) {
	t.Setenv("GOTOOLCHAIN", "local") // reading go.mod must not download anything
	for _, tc := range []struct {
		name, gomod, want, wantErr string
	}{
		{"release", "module example.com/m\n\ngo 1.26.0\n\ntoolchain go1.26.8\n", "go1.26.8", ""},
		{"with a comment", "module example.com/m\n\ngo 1.26.0\n\ntoolchain go1.26.8 // the asset's\n", "go1.26.8", ""},
		{"no directive", "module example.com/m\n\ngo 1.26.0\n", "", "no toolchain directive"},
		{"default", "module example.com/m\n\ngo 1.26.0\n\ntoolchain default\n", "", "names toolchain default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(tc.gomod), 0o644); err != nil {
				t.Fatal(err)
			}
			sub := filepath.Join(dir, "lambda")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			got, err := pinnedToolchain(sub)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got %q, %v; want an error saying %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// Synthesizing leaves nothing behind in the temporary directory (each
// build held a binary of about 11 MB): creating the function stages a copy
// of its archive in the cloud assembly, and then the archive BuildFunction
// wrote is removed, as is the directory the compiler wrote into.
func TestBuildLeavesNoTemporaryDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.MkdirTemp creates them
	s := synth(t, nil)
	if left, _ := filepath.Glob(filepath.Join(tmp, "pmdp-*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
	if entry := onlyEntry(t, readFile(t, stagedArchive(t, s.outdir, "Test", s.function(t)))); len(entry.content) < 1_000_000 {
		t.Errorf("staged function of %d bytes", len(entry.content))
	}

	// With staging disabled the assembly names the build directory itself
	// as the asset's source: it must stay.
	s = synthWith(t, map[string]any{"aws:cdk:disable-asset-staging": true}, func(awscdk.Stack) *Props { return nil })
	kept, _ := filepath.Glob(filepath.Join(tmp, "pmdp-*"))
	if len(kept) != 1 || !strings.HasSuffix(kept[0], ".zip") {
		t.Fatalf("left %q with staging disabled, want only the archive that is the asset's source", kept)
	}
	defer os.Remove(kept[0])
	assets, err := os.ReadFile(filepath.Join(s.outdir, "Test.assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if source, _ := json.Marshal(kept[0]); !strings.Contains(string(assets), string(source)) {
		t.Errorf("the asset manifest does not name %s:\n%s", kept[0], assets)
	}
}

// A function given in Props.Code is deployed as given: the staged asset
// holds the prebuilt bootstrap, not one built from source.
func TestCodeOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("prebuilt"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := synth(t, &Props{Code: awslambda.Code_FromAsset(jsii.String(dir), nil)})
	got, err := os.ReadFile(filepath.Join(stagedCode(t, s.outdir, s.function(t)), "bootstrap"))
	if err != nil || string(got) != "prebuilt" {
		t.Errorf("staged bootstrap: %d bytes starting %.8q (%v), want the prebuilt one", len(got), got, err)
	}
}

// Another module imports the construct through a replace directive and
// synthesizes a stack with it: the function's code must be found and
// built from there too.
func TestReuseFromAnotherModule(t *testing.T) {
	out := t.TempDir()
	run := exec.Command("go", "run", ".")
	run.Dir = filepath.Join("testdata", "consumer")
	run.Env = append(os.Environ(), "CDK_OUTDIR="+out)
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("synthesizing the consumer app: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(filepath.Join(out, "Analytics.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tm template
	if err := json.Unmarshal(raw, &tm); err != nil {
		t.Fatal(err)
	}
	fn := tm.function(t)
	env, _ := json.Marshal(fn["Environment"])
	if !strings.Contains(string(env), `"PMDP_SUMMARY_PREFIX":"events/"`) || !strings.Contains(string(env), `"PMDP_GROUP_BY":"date,query:ev"`) {
		t.Errorf("environment %s", env)
	}
	// The staged asset holds the built function.
	if entry := onlyEntry(t, readFile(t, stagedArchive(t, out, "Analytics", fn))); len(entry.content) < 1_000_000 || entry.mode != 0o755 {
		t.Errorf("staged function of %d bytes, mode %v", len(entry.content), entry.mode)
	}
	if len(tm.resources("AWS::S3::Bucket")) != 3 {
		t.Errorf("%d buckets: want the consumer's summary bucket, and the pipeline's log bucket and Athena results bucket", len(tm.resources("AWS::S3::Bucket")))
	}
}

// stagedArchive returns the path of the zip archive that the cloud
// assembly in outdir holds as the code of fn (properties from
// template.function), after checking that the asset manifest of stack
// uploads that file as it is (packaging "file"), not a zip CDK makes.
func stagedArchive(t *testing.T, outdir, stack string, fn map[string]any) string {
	t.Helper()
	code, _ := fn["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	hash, ok := strings.CutSuffix(key, ".zip")
	if !ok {
		t.Fatalf("function code %v is not a zip asset", fn["Code"])
	}
	raw, err := os.ReadFile(filepath.Join(outdir, stack+".assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Files map[string]struct {
			Source struct{ Path, Packaging string }
		}
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	source := manifest.Files[hash].Source
	if source.Packaging != "file" || source.Path != "asset."+key {
		t.Fatalf("asset %s: source %+v, want the file asset.%s uploaded as it is", hash, source, key)
	}
	return filepath.Join(outdir, source.Path)
}

// zipEntry is what a zip archive holds for one file.
type zipEntry struct {
	mode     fs.FileMode
	modified time.Time
	content  []byte
}

// onlyEntry reads archive with the standard library, as any unzip would,
// and returns its only entry, which must be bootstrap.
func onlyEntry(t *testing.T, archive []byte) zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("archive holds %q, want only bootstrap", names)
	}
	f := zr.File[0]
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	content, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading bootstrap from the archive: %v", err)
	}
	return zipEntry{mode: f.Mode(), modified: f.Modified, content: content}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
