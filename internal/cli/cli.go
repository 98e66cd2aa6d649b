// Package cli is the pmdp command: what the lambda binary does when it is
// started from a terminal instead of by the Lambda runtime.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/process"
)

// A command is one of pmdp's commands.
type command struct {
	name     string
	synopsis string // the arguments, as the overview and the help show them
	purpose  string // one line for the overview
	help     string // what 'pmdp help NAME' prints before the flags
	// flags defines the command's flags on fs and returns what runs the
	// command, once they are parsed, with the other arguments.
	flags func(e *env, fs *flag.FlagSet) (run func(args []string) int)
}

var commands = []*command{
	{"summarize", "[flags] PATH...", "count requests in ALB or Classic ELB access logs", summarizeHelp, (*env).summarizeFlags},
	{"generate", "[flags]", "write a realistic ALB access log and its expected counts", generateHelp, (*env).generateFlags},
	{"process", "[flags] S3URL...", "summarize log objects in S3 as the function does (reprocess, backfill)", processHelp, (*env).processFlags},
	{"backfill", "[flags]", "reprocess months of logs on AWS Step Functions, showing progress", backfillHelp, (*env).backfillFlags},
	{"rollup", "[flags] LOCATION", "build the daily rollups of the summaries in S3 or a directory", rollupHelp, (*env).rollupFlags},
	{"report", "[flags] SOURCE...", "write one HTML page that shows summaries or rollups", reportHelp, (*env).reportFlags},
	{"local", "[flags]", "run the whole pipeline on this machine", localHelp, (*env).localFlags},
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usage is the overview 'pmdp help' prints.
func usage() string {
	var b strings.Builder
	b.WriteString("pmdp: the poor man's data pipeline.\n\nUsage:\n")
	line := func(synopsis, purpose string) { fmt.Fprintf(&b, "  pmdp %-27s %s\n", synopsis, purpose) }
	for _, c := range commands {
		line(c.name+" "+c.synopsis, c.purpose)
	}
	line("help [COMMAND]", "show help")
	b.WriteString("\nRun 'pmdp help summarize' for the flags of a command.\n")
	return b.String()
}

// Main runs the command line args (without the program name) and returns
// the process exit status: 0 on success, 1 when some input failed, 2 on a
// usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: context.Background(), stdin: stdin, stdout: stdout, stderr: stderr, terminal: isTerminal(stderr)}
	return e.main(args)
}

// env is what a command runs with.
type env struct {
	// ctx is the parent of every command's context; commands that stop
	// cleanly when interrupted derive theirs with interruptible.
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	terminal       bool // stderr is a terminal: progress lines are drawn there

	// For tests of backfill: a Step Functions client and a clock in place
	// of AWS's and the real one, when not nil.
	sfnClient func(ctx context.Context, region string) (stepFunctions, error)
	clock     clock
}

func (e *env) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage())
		return 2
	}
	name, args := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return e.help(args)
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "pmdp: unknown command %q\n\n%s", name, usage())
		return 2
	}
	fs := e.flagSet(c, e.stderr)
	run := c.flags(e, fs)
	rest, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // the flag package has printed the problem and the usage
	}
	return run(rest)
}

func (e *env) help(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage())
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(e.stderr, "pmdp: unknown command %q\n", args[0])
		return 2
	}
	fs := e.flagSet(c, e.stdout)
	c.flags(e, fs)
	fs.Usage()
	return 0
}

// flagSet is an empty flag set for c whose usage goes to out.
func (e *env) flagSet(c *command, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, c.help)
		fs.PrintDefaults()
	}
	return fs
}

// usageError reports what is wrong with a command line, one problem a
// line, and returns the exit status of a usage error.
func (e *env) usageError(cmd string, problems ...error) int {
	for _, err := range flatten(problems) {
		fmt.Fprintf(e.stderr, "pmdp %s: %s\n", cmd, strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	fmt.Fprintf(e.stderr, "Run 'pmdp help %s' for usage.\n", cmd)
	return 2
}

// flatten replaces each errors.Join in errs by the errors it joins.
func flatten(errs []error) []error {
	var flat []error
	for _, err := range errs {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			flat = append(flat, flatten(joined.Unwrap())...)
		} else {
			flat = append(flat, err)
		}
	}
	return flat
}

// interruptible returns a context that is done when the user interrupts
// the command (Ctrl-C) or the system asks it to stop, for commands that
// then stop cleanly instead of dying mid-write.
func (e *env) interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
}

// flagConfig checks the function's settings as a command takes them from
// its flags, naming each problem by its flag, and returns the processing
// configuration they describe.
func flagConfig(s contract.Settings) (process.Config, error) {
	if err := s.ValidateAs(contract.ByFlag); err != nil {
		return process.Config{}, err
	}
	return process.NewConfig(s)
}

// groupByUsage lists the dimensions for a flag's help.
var groupByUsage = strings.Join(contract.Dimensions, ", ") + ", " + contract.QueryPrefix + "NAME"

// filterFlags defines the repeatable --include and --exclude on fs, each
// joining its values into s as the function's environment holds them;
// withEnv names that variable in the help.
func filterFlags(fs *flag.FlagSet, s *contract.Settings, withEnv bool) {
	note := func(env string) string {
		if withEnv {
			return " (" + env + ")"
		}
		return ""
	}
	fs.Var(filterFlag{&s.Include}, "include",
		"count only the lines that match `DIM=V1|V2` (DIM is V1 or V2);\n"+
			"repeatable: a line must match every --include (e.g. --include bot=no)"+note(contract.EnvInclude))
	fs.Var(filterFlag{&s.Exclude}, "exclude",
		"leave out the lines that match `DIM=V1|V2` (DIM is V1 or V2);\n"+
			"repeatable: a line that matches any is left out (e.g. --exclude action=redirect)"+note(contract.EnvExclude))
}

// distinctUsage is the help of --distinct.
const distinctUsage = "count distinct `visitor`s (client IP and user agent) or values of query:NAME in each row:\n" +
	"adds the columns distinct (an estimate) and distinct_hll (a HyperLogLog sketch that Athena merges);\n" +
	"at most 20000 groups then (e.g. --distinct visitor)"

// filterFlag is a repeatable flag whose values join into one filter.
type filterFlag struct{ filter *string }

func (f filterFlag) String() string {
	if f.filter == nil {
		return ""
	}
	return *f.filter
}

func (f filterFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty filter")
	}
	*f.filter = contract.JoinFilters(*f.filter, v)
	return nil
}

// parseInterleaved parses flags that may stand before, between or after
// the positional arguments, as users of most command-line tools expect.
// "-" is a positional argument (standard input); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// writeOutput writes through fn to path, or to stdout when path is "" or
// "-". A regular file is written under a temporary name and renamed into
// place, so an interrupted run never leaves a half-written summary behind;
// anything else that exists already (a device, a pipe) is written in place.
func (e *env) writeOutput(path string, fn func(io.Writer) error) error {
	if path == "" || path == "-" {
		return fn(e.stdout)
	}
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
