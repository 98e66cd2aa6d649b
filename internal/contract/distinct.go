package contract

import (
	"fmt"
	"strings"
)

// DistinctVisitor counts distinct visitors: a line's client IP and user
// agent together.
const DistinctVisitor = "visitor"

// ValidateDistinct checks what a summary counts the distinct values of:
// "" (nothing: no distinct columns), DistinctVisitor, or QueryPrefix
// followed by a query parameter's name.
func ValidateDistinct(s string) error {
	if s == "" || s == DistinctVisitor {
		return nil
	}
	param, isQuery := strings.CutPrefix(s, QueryPrefix)
	if isQuery && param != "" {
		return nil
	}
	if isQuery {
		return fmt.Errorf("distinct %q: missing parameter name after %q", s, QueryPrefix)
	}
	return fmt.Errorf("unknown distinct %q (want %s or %sNAME)", s, DistinctVisitor, QueryPrefix)
}
