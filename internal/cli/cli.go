// Package cli is the pmdp command: what the lambda binary does when it is
// started from a terminal instead of by the Lambda runtime.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const usage = `pmdp: the poor man's data pipeline.

Usage:
  pmdp summarize [flags] PATH...   count requests in ALB or Classic ELB access logs
  pmdp generate [flags]            write a realistic ALB access log and its expected counts
  pmdp process [flags] S3URL...    summarize log objects in S3 as the function does (reprocess, backfill)
  pmdp local [flags]               run the whole pipeline on this machine
  pmdp help [COMMAND]              show help

Run 'pmdp help summarize' for the flags of a command.
`

// Main runs the command line args (without the program name) and returns
// the process exit status: 0 on success, 1 when some input failed, 2 on a
// usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	env := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "summarize":
		return env.summarize(rest)
	case "generate":
		return env.generate(rest)
	case "local":
		return env.local(rest)
	case "process":
		return env.process(rest)
	case "help", "-h", "-help", "--help":
		return env.help(rest)
	default:
		fmt.Fprintf(stderr, "pmdp: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (e *env) help(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage)
		return 0
	}
	switch args[0] {
	case "summarize":
		fs, _ := summarizeFlagSet(e.stdout)
		fs.Usage()
	case "generate":
		fs, _ := generateFlagSet(e.stdout)
		fs.Usage()
	case "local":
		fs, _ := localFlagSet(e.stdout)
		fs.Usage()
	case "process":
		fs, _ := processFlagSet(e.stdout)
		fs.Usage()
	default:
		fmt.Fprintf(e.stderr, "pmdp: unknown command %q\n", args[0])
		return 2
	}
	return 0
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

// isHelp reports whether a flag error is a request for help.
func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }
