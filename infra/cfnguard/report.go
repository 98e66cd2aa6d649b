package cfnguard

import (
	"fmt"
	"io"
	"strings"
)

// WriteReport writes the verdicts as people read them: per stack, the
// counts of rules and findings, then each finding and what became of it,
// then the stale exceptions.
func WriteReport(w io.Writer, verdicts []Verdict) error {
	var b strings.Builder
	for _, v := range verdicts {
		fmt.Fprintf(&b, "%s: %d rules evaluated: %d passed, %d failed (%d wholly excepted), %d not applicable; %d findings, %d excepted\n",
			v.Stack, v.Rules(), len(v.Passed), len(v.Failed), v.ExceptedRules(), len(v.Skipped), len(v.Findings), len(v.Excepted))
		for _, e := range v.Excepted {
			fmt.Fprintf(&b, "  excepted %-30s %s\n", e.Control, e.Name())
		}
		for _, f := range v.Unexcepted {
			fmt.Fprintf(&b, "  FAILED   %-30s %s (%s)\n", f.Control, f.Name(), f.Rule)
			for line := range strings.SplitSeq(f.Message, "\n") {
				fmt.Fprintf(&b, "           %s\n", line)
			}
		}
		for _, e := range v.Stale {
			fmt.Fprintf(&b, "  STALE    exception %s accepts no finding: remove it, or narrow its stacks\n", e)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
