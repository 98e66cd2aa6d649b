package contract

import (
	"fmt"
	"strconv"
)

// MaxMaxGroups bounds the cardinality cap: a table that large already
// takes gigabytes, which is what the cap is there to prevent.
const MaxMaxGroups = 10_000_000

// ParseMaxGroups reads a cardinality cap: a whole number of groups, from
// 1 to MaxMaxGroups.
func ParseMaxGroups(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxMaxGroups {
		return 0, fmt.Errorf("max groups %q must be a whole number from 1 to %d", s, MaxMaxGroups)
	}
	return n, nil
}

func validateMaxGroups(s string) error {
	_, err := ParseMaxGroups(s)
	return err
}
