// Package localtest runs the local pipeline for tests: the function's real
// binary under aws-lambda-rie, with versitygw as S3. The tools are pinned
// and installed by `make tools`; the Makefile points these variables at
// them:
//
//	PMDP_RIE        path of aws-lambda-rie
//	PMDP_VERSITYGW  path of versitygw
//	PMDP_BOOTSTRAP  the linux/arm64 bootstrap `make lambda` builds: the binary that ships
//	PMDP_QEMU       path of qemu-aarch64-static, which runs that bootstrap on a machine
//	                that is not arm64
//	PMDP_TOXIPROXY  path of Shopify's toxiproxy server, for the fault tests
//
// Without PMDP_BOOTSTRAP, Start builds the function for this machine, a
// quick path for local runs. Without the other tools a test that needs them
// is skipped, so that `go test ./...` works anywhere, unless the variable CI
// is set: there a missing tool or artifact fails the test, so that CI cannot
// pass without running what ships.
package localtest

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pmdp/pmdp/internal/local"
)

// Start readies the function (the shipped bootstrap, or a build of the
// package at dir, as `go build` takes it, relative to the test's
// directory), starts the pipeline with cfg and closes it when the test
// ends. cfg's tool paths, Bootstrap, DataDir and ProcessOutput are set
// here; the returned Output holds what the processes wrote, and is logged
// when the test has failed.
func Start(t *testing.T, dir string, cfg local.Config) (*local.Pipeline, *Output) {
	t.Helper()
	cfg.RIE, cfg.VersityGW = Tool(t, "PMDP_RIE"), Tool(t, "PMDP_VERSITYGW")
	tmp := t.TempDir()
	cfg.DataDir = filepath.Join(tmp, "data")
	cfg.Bootstrap = bootstrap(t, dir, tmp)
	output := new(Output)
	cfg.ProcessOutput = output
	p, err := local.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			t.Logf("processes' output:\n%s", output)
		}
	})
	return p, output
}

// Tool returns the path in the environment variable name, and skips the
// test when it is not set (fails it when CI is set).
func Tool(t testing.TB, name string) string {
	t.Helper()
	path := os.Getenv(name)
	if path == "" {
		missing(t, name+" is not set; `make test` and `make e2e` set it")
	}
	return path
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set: %s", why)
	}
	t.Skip(why)
}

// bootstrap returns what the emulator is to start as the function: a
// wrapper that runs the shipped arm64 bootstrap under qemu, the bootstrap
// itself on an arm64 machine, or a build of dir for this machine.
func bootstrap(t *testing.T, dir, tmp string) string {
	t.Helper()
	shipped := os.Getenv("PMDP_BOOTSTRAP")
	if shipped == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and PMDP_BOOTSTRAP is not: CI runs the function that ships (`make test` sets it)")
		}
		out := filepath.Join(tmp, "bootstrap")
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, dir)
		if b, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building the function: %v\n%s", err, b)
		}
		return out
	}
	shipped, err := filepath.Abs(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := Machine(shipped); err != nil || m != elf.EM_AARCH64 {
		t.Fatalf("PMDP_BOOTSTRAP %s: machine %v (%v), want %v: run `make lambda`", shipped, m, err, elf.EM_AARCH64)
	}
	if runtime.GOARCH == "arm64" {
		return shipped
	}
	qemu := os.Getenv("PMDP_QEMU")
	if qemu == "" {
		missing(t, "PMDP_QEMU is not set, and this machine cannot run the arm64 bootstrap without it (apt-get install qemu-user-static)")
	}
	if _, err := os.Stat(qemu); err != nil {
		t.Fatalf("PMDP_QEMU: %v", err)
	}
	// The emulator takes the path of a program to start; binfmt_misc,
	// which would let it start an arm64 binary directly, is not there in
	// containers and sandboxes. So it starts this script, which becomes
	// qemu running the bootstrap (exec: one process, as the emulator
	// expects, with the emulator's environment).
	wrapper := filepath.Join(tmp, "bootstrap")
	script := "#!/bin/sh\nexec " + shellQuote(qemu) + " " + shellQuote(shipped) + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Machine returns the ELF machine the program at path is built for.
func Machine(path string) (elf.Machine, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Machine, nil
}

// Launched describes the function's process, which the emulator starts on
// its first invocation: the machine of the program it runs and how it
// runs (directly, or under qemu). It fails the test when there is no such
// process, or its program is not the bootstrap that ships although
// PMDP_BOOTSTRAP is set.
func Launched(t *testing.T, p *local.Pipeline) string {
	t.Helper()
	pids, _ := Family(t, p.EmulatorPID)
	for _, pid := range pids {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		program, how := exe, "directly"
		if strings.Contains(filepath.Base(exe), "qemu-aarch64") && len(args) > 1 {
			program, how = args[1], "under "+filepath.Base(exe)
		}
		if shipped := os.Getenv("PMDP_BOOTSTRAP"); shipped != "" {
			if abs, _ := filepath.Abs(shipped); program != abs {
				continue
			}
		} else if filepath.Base(program) != "bootstrap" {
			continue
		}
		m, err := Machine(program)
		if err != nil {
			t.Fatalf("the function's process %d runs %s: %v", pid, program, err)
		}
		if os.Getenv("PMDP_BOOTSTRAP") != "" && m != elf.EM_AARCH64 {
			t.Fatalf("the function's process %d runs %s, built for %v, not the arm64 bootstrap", pid, program, m)
		}
		return fmt.Sprintf("%s (%v) %s", program, m, how)
	}
	t.Fatalf("no function process among the emulator's descendants %v", pids)
	return ""
}

// Family returns the processes under pids, every generation, and the
// process groups of pids and of those processes, from Linux's /proc
// (aws-lambda-rie, and so every test that uses it, runs only on Linux).
func Family(t testing.TB, pids ...int) (descendants, groups []int) {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		t.Fatalf("listing processes in /proc: %v", err)
	}
	children := map[int][]int{} // parent -> children
	group := map[int]int{}
	for _, name := range stats {
		b, err := os.ReadFile(name)
		if err != nil {
			continue // the process has exited
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		head, tail, _ := strings.Cut(string(b), " (")
		i := strings.LastIndexByte(tail, ')')
		if i < 0 {
			t.Fatalf("%s: unexpected %q", name, b)
		}
		f := strings.Fields(tail[i+1:])
		pid, err1 := strconv.Atoi(head)
		if len(f) < 3 || err1 != nil {
			t.Fatalf("%s: unexpected %q", name, b)
		}
		ppid, _ := strconv.Atoi(f[1])
		group[pid], _ = strconv.Atoi(f[2])
		children[ppid] = append(children[ppid], pid)
	}
	for todo := slices.Clone(pids); len(todo) > 0; {
		pid := todo[0]
		todo = append(todo[1:], children[pid]...)
		if !slices.Contains(pids, pid) {
			descendants = append(descendants, pid)
		}
		if g, ok := group[pid]; ok && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return descendants, groups
}

// Output collects the processes' output, which several goroutines write.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
