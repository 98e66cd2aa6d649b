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

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// The function's code is built from source once and hashed by content, so
// two synths of unchanged code give the same asset: no redeploy.
func TestStableAssetHash(t *testing.T) {
	first := synth(t, nil).function(t)["Code"]
	second := synth(t, nil).function(t)["Code"]
	jsonEq(t, "code of two synths", second, first)

	// A fresh build in another process gives the same bytes.
	dir, err := BuildFunction()
	if err != nil {
		t.Fatal(err)
	}
	again, err := buildFunction()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(again)
	a, _ := os.ReadFile(filepath.Join(dir, "bootstrap"))
	b, _ := os.ReadFile(filepath.Join(again, "bootstrap"))
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("two builds of the same source differ (%d and %d bytes)", len(a), len(b))
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
