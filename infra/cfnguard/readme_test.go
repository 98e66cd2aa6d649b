package cfnguard

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The repository's exceptions parse, and the README's table of them names
// the same controls: the reasons must be readable where people look.
func TestRepositoryExceptionsInREADME(t *testing.T) {
	exceptions := repositoryExceptions(t)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Security checks\n")
	if !ok {
		t.Fatal("README has no Security checks section")
	}
	_, table, ok := strings.Cut(section, "\n| control | resource | stacks | why |\n")
	if !ok {
		t.Fatal("README's Security checks has no table of exceptions")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	row := regexp.MustCompile(`(?m)^\| (CT\.[A-Z0-9]+\.PR\.\d+)[ |]`)
	var inREADME []string
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		if !slices.Contains(inREADME, m[1]) {
			inREADME = append(inREADME, m[1])
		}
	}
	var inFile []string
	for _, e := range exceptions {
		if !slices.Contains(inFile, e.Control) {
			inFile = append(inFile, e.Control)
		}
	}
	slices.Sort(inREADME)
	slices.Sort(inFile)
	if !slices.Equal(inREADME, inFile) {
		t.Errorf("controls excepted in the README %v, in guard-exceptions.json %v", inREADME, inFile)
	}
}

// The repository's exceptions name each resource of the construct by its
// path: a pattern there would quietly accept a resource added later,
// which deserves its own reason. Only CDK's own resources, whose names
// end in a hash, take a pattern.
func TestRepositoryExceptionsNameConstructResources(t *testing.T) {
	for _, e := range repositoryExceptions(t) {
		if strings.HasPrefix(e.Resource, "Pmdp/Pipeline/") && strings.ContainsAny(e.Resource, `*?[\`) {
			t.Errorf("%s on %s: a pattern; name each resource of the construct", e.Control, e.Resource)
		}
	}
}

// repositoryExceptions parses the exceptions file `make guard` uses.
func repositoryExceptions(t *testing.T) []Exception {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "guard-exceptions.json"))
	if err != nil {
		t.Fatal(err)
	}
	exceptions, err := ParseExceptions(data)
	if err != nil {
		t.Fatal(err)
	}
	return exceptions
}
