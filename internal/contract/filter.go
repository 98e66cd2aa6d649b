package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A filter keeps or drops lines before they are counted. It is a list of
// clauses DIMENSION=VALUE|VALUE…, one a flag on the command line
// (--include and --exclude, repeated) and separated by ClauseSeparator in
// the function's environment (PMDP_INCLUDE, PMDP_EXCLUDE); a flag may hold
// several clauses too, as the environment does.
//
// A clause matches a line whose value of the dimension is one of the
// clause's values, the value being what a summary grouped by that
// dimension shows. For action, a value also matches any one of the
// actions in ALB's comma list, so action=forward matches "waf,forward".
// A line is counted when it matches every include clause and no exclude
// clause.
//
// Spaces around names and values are ignored; a value cannot hold ";" or
// "|". Only a query dimension can be empty (the parameter is absent), so
// only a query clause takes an empty value: query:ev= matches the lines
// without an ev. The bot dimension is yes or no.

// Separators in filters.
const (
	ClauseSeparator = ";"
	ValueSeparator  = "|"
)

// ExcludeRedirects is the exclude clause for requests the load balancer
// answered with a redirect. The construct adds it when its HTTP listener
// redirects to HTTPS: a browser that follows the redirect sends the request
// again on 443, and that second line is the one to count.
const ExcludeRedirects = "action=redirect"

// ExcludeBots is the exclude clause for requests whose user agent is a
// crawler's; the construct adds it with its ExcludeBots prop.
const ExcludeBots = "bot=yes"

// BotValues are the values of the bot dimension.
var BotValues = []string{"yes", "no"}

// A Clause is one condition of a filter.
type Clause struct {
	Dimension string   // a dimension name, as in a group-by list
	Values    []string // at least one
}

// ParseFilter checks a filter, clauses separated by ClauseSeparator, and
// returns its clauses, spaces trimmed; "" is the empty filter. Every
// problem is reported, not just the first.
func ParseFilter(filter string) ([]Clause, error) {
	if filter == "" {
		return nil, nil
	}
	var clauses []Clause
	var errs []error
	for i, text := range strings.Split(filter, ClauseSeparator) {
		text = strings.TrimSpace(text)
		if text == "" {
			errs = append(errs, fmt.Errorf("empty clause at position %d of %q", i+1, filter))
			continue
		}
		c, err := parseClause(text)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		clauses = append(clauses, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return clauses, nil
}

func parseClause(text string) (Clause, error) {
	dim, list, ok := strings.Cut(text, "=")
	if !ok {
		return Clause{}, fmt.Errorf("clause %q: want DIMENSION=VALUE, values separated by %s", text, ValueSeparator)
	}
	dim = strings.TrimSpace(dim)
	if dim == "" {
		return Clause{}, fmt.Errorf("clause %q: no dimension before =", text)
	}
	if err := checkDimension(dim); err != nil {
		return Clause{}, fmt.Errorf("clause %q: %w", text, err)
	}
	isQuery := strings.HasPrefix(dim, QueryPrefix)
	values := strings.Split(list, ValueSeparator)
	var errs []error
	for i, v := range values {
		v = strings.TrimSpace(v)
		values[i] = v
		switch {
		case dim == "bot" && !slices.Contains(BotValues, v):
			errs = append(errs, fmt.Errorf("clause %q: bot is %s, not %q", text, oneOf(BotValues), v))
		case v == "" && !isQuery:
			errs = append(errs, fmt.Errorf("clause %q: empty value, but %s is never empty (it is - when absent)", text, dim))
		}
	}
	if len(errs) > 0 {
		return Clause{}, errors.Join(errs...)
	}
	return Clause{Dimension: dim, Values: values}, nil
}

// JoinFilters joins filters into one, as the environment holds it,
// leaving out empty ones: the command joins its repeated flags so, and the
// construct adds its own clauses to its props' so.
func JoinFilters(filters ...string) string {
	var nonEmpty []string
	for _, f := range filters {
		if f != "" {
			nonEmpty = append(nonEmpty, f)
		}
	}
	return strings.Join(nonEmpty, ClauseSeparator)
}

func validateFilter(filter string) error {
	_, err := ParseFilter(filter)
	return err
}
