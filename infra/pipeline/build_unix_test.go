//go:build unix

package pipeline

import (
	"bytes"
	"sync"
	"syscall"
	"testing"
)

// A machine whose umask is 077 writes the compiled bootstrap as
// -rwx------, which Lambda cannot run (Runtime.InvalidEntrypoint). The
// function is compiled and synthesized under that umask here, and the
// staged asset must still be the archive this package wrote, holding
// bootstrap as -rwxr-xr-x.
func TestFunctionArchiveUnderUmask077(t *testing.T) {
	previous := syscall.Umask(0o077)
	defer syscall.Umask(previous)
	// Compile again: an archive from an earlier test was built under the
	// umask the tests started with.
	functionArchive = sync.OnceValues(buildFunctionArchive)

	s := synth(t, nil)
	staged := readFile(t, stagedArchive(t, s.outdir, "Test", s.function(t)))
	built, err := functionArchive()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(staged, built) {
		t.Errorf("the staged asset (%d bytes) is not the archive BuildFunction wrote (%d bytes)", len(staged), len(built))
	}
	entry := onlyEntry(t, staged)
	if got := entry.mode.String(); got != "-rwxr-xr-x" {
		t.Errorf("bootstrap in the staged archive is %s, want -rwxr-xr-x", got)
	}
	if len(entry.content) < 1_000_000 {
		t.Errorf("bootstrap of %d bytes", len(entry.content))
	}
}
