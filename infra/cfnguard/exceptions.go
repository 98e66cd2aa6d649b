package cfnguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// An Exception accepts the findings of one control on the resources its
// pattern matches, for a reason.
type Exception struct {
	// Control is the control accepted, such as CT.S3.PR.10.
	Control string `json:"control"`
	// Resource is a pattern (path.Match: * stops at /) matched against a
	// finding's CDK path, or its logical ID when it has no path.
	Resource string `json:"resource"`
	// Stacks names the stacks the exception is for; empty is every stack
	// checked.
	Stacks []string `json:"stacks,omitempty"`
	// Reason says why the finding is accepted.
	Reason string `json:"reason"`
}

func (e Exception) String() string {
	s := e.Control + " " + e.Resource
	if len(e.Stacks) > 0 {
		s += " (" + strings.Join(e.Stacks, ", ") + ")"
	}
	return s
}

// appliesTo reports whether e is for stack.
func (e Exception) appliesTo(stack string) bool {
	return len(e.Stacks) == 0 || slices.Contains(e.Stacks, stack)
}

// matches reports whether e accepts f.
func (e Exception) matches(f Finding) bool {
	ok, _ := path.Match(e.Resource, f.Name()) // the pattern is checked by ParseExceptions
	return e.Control == f.Control && ok
}

// ParseExceptions reads a JSON array of exceptions, and reports every entry
// that lacks a control, a resource or a reason, has a malformed pattern, or
// repeats another, at once.
func ParseExceptions(data []byte) ([]Exception, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []Exception
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	var errs []error
	seen := map[string]int{}
	for i, e := range list {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("exception %d (%s): %s", i+1, e, fmt.Sprintf(format, args...)))
		}
		if !controlID.MatchString("[" + e.Control + "]") {
			bad("control %q is not a control ID such as CT.S3.PR.10", e.Control)
		}
		if e.Resource == "" {
			bad("no resource")
		} else if _, err := path.Match(e.Resource, ""); err != nil {
			bad("resource pattern: %v", err)
		}
		if strings.TrimSpace(e.Reason) == "" {
			bad("no reason")
		}
		for _, s := range e.Stacks {
			if s == "" {
				bad("an empty stack name")
			}
		}
		key := e.Control + "\x00" + e.Resource
		if j, ok := seen[key]; ok {
			bad("repeats exception %d: give one entry the stacks of both", j+1)
		}
		seen[key] = i
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return list, nil
}

// A Stack is one template's result under a name exceptions use.
type Stack struct {
	Name   string
	Result Result
}

// A Verdict is the outcome of Check for one stack.
type Verdict struct {
	Stack string
	Result
	// Excepted are the findings an exception accepts, with it.
	Excepted []Excepted
	// Unexcepted are the findings no exception accepts.
	Unexcepted []Finding
	// Stale are the exceptions for this stack that accept no finding.
	Stale []Exception
}

// An Excepted finding and the exception that accepts it.
type Excepted struct {
	Finding
	By Exception
}

// ExceptedRules is the number of failed rules whose every finding an
// exception accepts.
func (v Verdict) ExceptedRules() int {
	open := map[string]bool{}
	for _, f := range v.Unexcepted {
		open[f.Rule] = true
	}
	n := 0
	for _, r := range v.Failed {
		if !open[r] {
			n++
		}
	}
	return n
}

// OK reports whether the stack passes: every finding accepted, every
// exception used.
func (v Verdict) OK() bool { return len(v.Unexcepted) == 0 && len(v.Stale) == 0 }

// Check holds each stack's findings against the exceptions. It is an
// error for an exception to name a stack that is not checked: the
// exception could never be found stale.
func Check(stacks []Stack, exceptions []Exception) ([]Verdict, error) {
	var errs []error
	for _, e := range exceptions {
		for _, s := range e.Stacks {
			if !slices.ContainsFunc(stacks, func(st Stack) bool { return st.Name == s }) {
				errs = append(errs, fmt.Errorf("exception %s: stack %q is not checked", e, s))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var verdicts []Verdict
	for _, st := range stacks {
		v := Verdict{Stack: st.Name, Result: st.Result}
		used := make([]bool, len(exceptions))
		for _, f := range st.Result.Findings {
			first := -1
			for i, e := range exceptions {
				if e.appliesTo(st.Name) && e.matches(f) {
					used[i] = true
					if first < 0 {
						first = i
					}
				}
			}
			if first < 0 {
				v.Unexcepted = append(v.Unexcepted, f)
				continue
			}
			v.Excepted = append(v.Excepted, Excepted{Finding: f, By: exceptions[first]})
		}
		for i, e := range exceptions {
			if e.appliesTo(st.Name) && !used[i] {
				v.Stale = append(v.Stale, e)
			}
		}
		verdicts = append(verdicts, v)
	}
	return verdicts, nil
}
