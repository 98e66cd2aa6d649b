// Command guardcheck runs cfn-guard on synthesized templates and holds its
// findings against a file of reasoned exceptions: it exits 1 when a
// finding has no exception, or an exception matches no finding.
//
// Usage:
//
//	guardcheck -cfn-guard PATH -rules DIR -exceptions FILE NAME=TEMPLATE...
//
// NAME is the stack's name in the exceptions' "stacks".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/pmdp/pmdp/infra/cfnguard"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfnGuard := flag.String("cfn-guard", "cfn-guard", "the cfn-guard command")
	rules := flag.String("rules", "", "a guard rules file, or a directory of them")
	exceptionsFile := flag.String("exceptions", "", "the JSON file of exceptions")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: guardcheck -cfn-guard PATH -rules DIR -exceptions FILE NAME=TEMPLATE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *rules == "" || *exceptionsFile == "" || flag.NArg() == 0 {
		flag.Usage()
		return 2
	}
	if err := check(*cfnGuard, *rules, *exceptionsFile, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "guardcheck:", err)
		return 1
	}
	return 0
}

func check(cfnGuard, rules, exceptionsFile string, args []string) error {
	data, err := os.ReadFile(exceptionsFile)
	if err != nil {
		return err
	}
	exceptions, err := cfnguard.ParseExceptions(data)
	if err != nil {
		return fmt.Errorf("%s: %w", exceptionsFile, err)
	}
	var stacks []cfnguard.Stack
	for _, arg := range args {
		name, template, ok := strings.Cut(arg, "=")
		if !ok || name == "" || template == "" {
			return fmt.Errorf("argument %q: want NAME=TEMPLATE", arg)
		}
		res, err := cfnguard.Validate(context.Background(), cfnGuard, rules, template)
		if err != nil {
			return err
		}
		stacks = append(stacks, cfnguard.Stack{Name: name, Result: res})
	}
	verdicts, err := cfnguard.Check(stacks, exceptions)
	if err != nil {
		return fmt.Errorf("%s: %w", exceptionsFile, err)
	}
	if err := cfnguard.WriteReport(os.Stdout, verdicts); err != nil {
		return err
	}
	var failed []string
	for _, v := range verdicts {
		if !v.OK() {
			failed = append(failed, fmt.Sprintf("%s (%d findings without an exception, %d stale exceptions)", v.Stack, len(v.Unexcepted), len(v.Stale)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s; explain each finding in %s, or fix it", strings.Join(failed, ", "), exceptionsFile)
	}
	return nil
}
