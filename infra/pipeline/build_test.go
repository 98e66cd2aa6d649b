package pipeline

// Tests of the function's code: built from source, staged in the cloud
// assembly, or given.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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

	// Compiling again gives the same bytes as the binary this process
	// compiled once and hands out.
	dir, err := BuildFunction()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	handedOut, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := compileFunction()
	if err != nil {
		t.Fatal(err)
	}
	if len(handedOut) == 0 || string(handedOut) != string(fresh) {
		t.Errorf("two builds of the same source differ (%d and %d bytes)", len(handedOut), len(fresh))
	}
}

// Synthesizing leaves no build directory behind (each held a binary of
// about 11 MB): creating the function stages a copy of its code in the
// cloud assembly, and then the directory BuildFunction wrote is removed.
func TestBuildLeavesNoTemporaryDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.MkdirTemp creates them
	s := synth(t, nil)
	if left, _ := filepath.Glob(filepath.Join(tmp, "pmdp-*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
	info, err := os.Stat(filepath.Join(stagedCode(t, s.outdir, s.function(t)), "bootstrap"))
	if err != nil || info.Size() < 1_000_000 {
		t.Errorf("staged function: %v, %v", info, err)
	}

	// With staging disabled the assembly names the build directory itself
	// as the asset's source: it must stay.
	s = synthWith(t, map[string]any{"aws:cdk:disable-asset-staging": true}, func(awscdk.Stack) *Props { return nil })
	kept, _ := filepath.Glob(filepath.Join(tmp, "pmdp-function-*"))
	if len(kept) != 1 {
		t.Fatalf("build directories %q with staging disabled, want the asset's source", kept)
	}
	defer os.RemoveAll(kept[0])
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
	info, err := os.Stat(filepath.Join(stagedCode(t, out, fn), "bootstrap"))
	if err != nil || info.Size() < 1_000_000 {
		t.Errorf("staged asset: %v, %v", info, err)
	}
	if len(tm.resources("AWS::S3::Bucket")) != 2 {
		t.Errorf("%d buckets: want the consumer's summary bucket and the pipeline's log bucket", len(tm.resources("AWS::S3::Bucket")))
	}
}
