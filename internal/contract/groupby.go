package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Dimensions are the names a group-by list may use, besides QueryPrefix
// followed by a query parameter's name.
var Dimensions = []string{"date", "hour", "path", "method", "status", "host", "type"}

// QueryPrefix starts a dimension that groups by a query parameter.
const QueryPrefix = "query:"

// ParseGroupBy checks a comma-separated group-by list such as
// "date,path,query:ev" and returns its dimension names, with the spaces
// around them trimmed. Every problem is reported, not just the first.
func ParseGroupBy(list string) ([]string, error) {
	var names []string
	var errs []error
	seen := map[string]bool{}
	for i, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		param, isQuery := strings.CutPrefix(name, QueryPrefix)
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("empty dimension at position %d of %q", i+1, list))
		case seen[name]:
			errs = append(errs, fmt.Errorf("dimension %q given twice", name))
		case isQuery && param == "":
			errs = append(errs, fmt.Errorf("dimension %q: missing parameter name after %q", name, QueryPrefix))
		case !isQuery && !slices.Contains(Dimensions, name):
			errs = append(errs, fmt.Errorf("unknown dimension %q (want %s)", name, oneOf(append(Dimensions[:len(Dimensions):len(Dimensions)], QueryPrefix+"NAME"))))
		default:
			names = append(names, name)
		}
		seen[name] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return names, nil
}

func validateGroupBy(list string) error {
	_, err := ParseGroupBy(list)
	return err
}

// Formats are the encodings a summary can be written in.
var Formats = []string{"csv", "jsonl"}

// ValidateFormat checks a format name.
func ValidateFormat(name string) error {
	if !slices.Contains(Formats, name) {
		return fmt.Errorf("unknown format %q (want %s)", name, oneOf(Formats))
	}
	return nil
}

// oneOf lists choices as a sentence does: "a, b or c".
func oneOf(choices []string) string {
	if len(choices) < 2 {
		return strings.Join(choices, "")
	}
	last := len(choices) - 1
	return strings.Join(choices[:last], ", ") + " or " + choices[last]
}
