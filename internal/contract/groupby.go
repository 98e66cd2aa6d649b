package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Dimensions are the names a group-by list or a filter may use, besides
// QueryPrefix followed by a query parameter's name.
var Dimensions = []string{"date", "hour", "path", "method", "status", "host", "type", "action", "bot"}

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
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("empty dimension at position %d of %q", i+1, list))
		case seen[name]:
			errs = append(errs, fmt.Errorf("dimension %q given twice", name))
		default:
			if err := checkDimension(name); err != nil {
				errs = append(errs, err)
			} else {
				names = append(names, name)
			}
		}
		seen[name] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return names, nil
}

// checkDimension checks one dimension name that is not empty.
func checkDimension(name string) error {
	param, isQuery := strings.CutPrefix(name, QueryPrefix)
	switch {
	case isQuery && param == "":
		return fmt.Errorf("dimension %q: missing parameter name after %q", name, QueryPrefix)
	case isQuery && strings.Contains(param, ","):
		// A group-by list could not name it: commas separate dimensions.
		return fmt.Errorf("dimension %q: a parameter name with a comma cannot be grouped by", name)
	case !isQuery && !slices.Contains(Dimensions, name):
		return fmt.Errorf("unknown dimension %q (want %s)", name, oneOf(append(Dimensions[:len(Dimensions):len(Dimensions)], QueryPrefix+"NAME")))
	}
	return nil
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
