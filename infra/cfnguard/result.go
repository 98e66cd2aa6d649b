// Package cfnguard holds what AWS CloudFormation Guard (cfn-guard) finds in
// a synthesized template against a list of reasoned exceptions, as cdk-nag
// holds its findings against suppressions: a finding no exception explains
// fails the check, and so does an exception that explains nothing.
//
// It reads the structured JSON that `cfn-guard validate --structured
// --output-format json --show-summary none` prints for one template, and
// names each finding by its control (such as CT.S3.PR.10, from the rule's
// message) and its resource (the logical ID, and the CDK construct path
// from the template's metadata).
package cfnguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
)

// A Finding is one resource that one rule found non-compliant.
type Finding struct {
	// Control is the AWS Control Tower control the rule implements, such
	// as CT.S3.PR.10; the rule's name when its message names none.
	Control string
	// Rule is the guard rule's name, such as s3_bucket_versioning_enabled_check.
	Rule string
	// Resource is the logical ID of the resource; empty when the rule
	// names no resource (the template as a whole failed it).
	Resource string
	// Path is the resource's CDK construct path (aws:cdk:path), such as
	// Pmdp/Pipeline/LogBucket/Resource; empty when the template has none.
	Path string
	// Message is the rule's message: the control's title and its fix.
	Message string
}

// Name is how exceptions match the finding: its CDK path, or its logical
// ID when it has no path.
func (f Finding) Name() string {
	if f.Path != "" {
		return f.Path
	}
	return f.Resource
}

// A Result is what cfn-guard found in one template.
type Result struct {
	// Passed, Failed and Skipped are the names of the rules that the
	// template passed, failed, or that did not apply to it (no resource
	// of their type), sorted.
	Passed, Failed, Skipped []string
	// Findings are the failed rules' resources, by control, then resource.
	Findings []Finding
}

// Rules is the number of rules evaluated.
func (r Result) Rules() int { return len(r.Passed) + len(r.Failed) + len(r.Skipped) }

// A report is cfn-guard's structured report on one data file.
type report struct {
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Compliant     []string          `json:"compliant"`
	NotApplicable []string          `json:"not_applicable"`
	NotCompliant  []json.RawMessage `json:"not_compliant"`
}

// A failedRule is the top of one entry of not_compliant; the checks below
// it are walked as plain JSON, because their shape varies with the clause.
type failedRule struct {
	Rule *struct {
		Name string `json:"name"`
	} `json:"Rule"`
}

// controlID finds a control's identifier in a rule's message.
var controlID = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.\d+)\]`)

// Parse reads cfn-guard's structured JSON report on one template. paths
// maps logical IDs to CDK paths (see ResourcePaths); it may be nil.
//
// cfn-guard 3.1.1 lists every rule under not_applicable, the ones that
// applied too, so a rule's status is the first of failed, passed, not
// applicable that lists it.
func Parse(out []byte, paths map[string]string) (Result, error) {
	var reports []report
	if err := json.Unmarshal(out, &reports); err != nil {
		return Result{}, fmt.Errorf("cfn-guard report: %w", err)
	}
	if len(reports) != 1 {
		return Result{}, fmt.Errorf("cfn-guard report: %d data files, want 1", len(reports))
	}
	rep := reports[0]
	failed := map[string]bool{}
	var findings []Finding
	for i, raw := range rep.NotCompliant {
		var top failedRule
		if err := json.Unmarshal(raw, &top); err != nil {
			return Result{}, fmt.Errorf("cfn-guard report %s: not_compliant[%d]: %w", rep.Name, i, err)
		}
		if top.Rule == nil || top.Rule.Name == "" {
			return Result{}, fmt.Errorf("cfn-guard report %s: not_compliant[%d] names no rule", rep.Name, i)
		}
		var tree any
		if err := json.Unmarshal(raw, &tree); err != nil {
			return Result{}, fmt.Errorf("cfn-guard report %s: not_compliant[%d]: %w", rep.Name, i, err)
		}
		var w walker
		w.walk(tree)
		name := top.Rule.Name
		failed[name] = true
		control := name
		if m := controlID.FindStringSubmatch(w.message); m != nil {
			control = m[1]
		}
		resources := slices.Sorted(maps.Keys(w.resources))
		if len(resources) == 0 {
			resources = []string{""}
		}
		for _, id := range resources {
			findings = append(findings, Finding{Control: control, Rule: name, Resource: id, Path: paths[id], Message: w.message})
		}
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		return strings.Compare(a.Control+"\x00"+a.Resource, b.Control+"\x00"+b.Resource)
	})
	findings = slices.Compact(findings)

	passed := map[string]bool{}
	for _, name := range rep.Compliant {
		if !failed[name] {
			passed[name] = true
		}
	}
	skipped := map[string]bool{}
	for _, name := range rep.NotApplicable {
		if !failed[name] && !passed[name] {
			skipped[name] = true
		}
	}
	return Result{
		Passed:   slices.Sorted(maps.Keys(passed)),
		Failed:   slices.Sorted(maps.Keys(failed)),
		Skipped:  slices.Sorted(maps.Keys(skipped)),
		Findings: findings,
	}, nil
}

// A walker collects, from the checks under a failed rule, the resources
// they failed on and the rule's message.
type walker struct {
	resources map[string]bool
	message   string
}

// walk visits the checks under a failed rule. A failed check points at the
// value it read ("from", for a comparison) or at the last value it could
// reach ("traversed_to", for a missing property): a path into the template
// such as /Resources/<logical ID>/Properties/..., and the value there. The
// value is template data, and "to" is what the value was compared with,
// which may be another resource, so neither is followed.
func (w *walker) walk(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "from", "traversed_to":
				if p, ok := x.(map[string]any); ok {
					if s, ok := p["path"].(string); ok {
						w.addPointer(s)
					}
				}
			case "to":
			case "custom_message":
				if s, ok := x.(string); ok && w.message == "" && strings.TrimSpace(s) != "" {
					w.message = tidyMessage(s)
				}
			default:
				w.walk(x)
			}
		}
	case []any:
		for _, x := range v {
			w.walk(x)
		}
	}
}

func (w *walker) addPointer(pointer string) {
	rest, ok := strings.CutPrefix(pointer, "/Resources/")
	if !ok {
		return
	}
	id, _, _ := strings.Cut(rest, "/")
	if id == "" {
		return
	}
	if w.resources == nil {
		w.resources = map[string]bool{}
	}
	w.resources[id] = true
}

// tidyMessage trims the indentation a rule's message has in its file.
func tidyMessage(s string) string {
	var lines []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// ResourcePaths maps each logical ID of a CloudFormation template to its
// CDK construct path, from the aws:cdk:path metadata CDK writes.
func ResourcePaths(template []byte) (map[string]string, error) {
	var t struct {
		Resources map[string]struct {
			Metadata struct {
				Path string `json:"aws:cdk:path"`
			} `json:"Metadata"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(template, &t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	paths := map[string]string{}
	for id, r := range t.Resources {
		if r.Metadata.Path != "" {
			paths[id] = r.Metadata.Path
		}
	}
	return paths, nil
}

// exitFailed is cfn-guard's exit status when a rule failed; 0 is all
// passed, anything else is an error.
const exitFailed = 19

// Validate runs cfnGuard (the cfn-guard command) on template with the
// rules in rules, a .guard file or a directory of them.
func Validate(ctx context.Context, cfnGuard, rules, template string) (Result, error) {
	tmpl, err := os.ReadFile(template)
	if err != nil {
		return Result{}, err
	}
	paths, err := ResourcePaths(tmpl)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", template, err)
	}
	cmd := exec.CommandContext(ctx, cfnGuard, "validate", "--structured", "--output-format", "json", "--show-summary", "none",
		"--rules", rules, "--data", template)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) && exit.ExitCode() == exitFailed {
		err = nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s validate %s: %w: %s", cfnGuard, template, err, bytes.TrimSpace(stderr.Bytes()))
	}
	res, err := Parse(stdout.Bytes(), paths)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", template, err)
	}
	return res, nil
}
