package contract

import (
	"fmt"
	"strconv"
)

// MaxRollupDays bounds the sweep window. Every date older than the window
// is rolled up at once when a summary of it is written, so the window only
// needs to cover ordinary delivery delays; a long one makes every sweep
// list and read that much more.
const MaxRollupDays = 366

// ParseRollupDays reads a sweep window: a whole number of UTC dates, from
// 1 to MaxRollupDays, today's included.
func ParseRollupDays(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxRollupDays {
		return 0, fmt.Errorf("rollup days %q must be a whole number from 1 to %d", s, MaxRollupDays)
	}
	return n, nil
}

func validateRollupDays(s string) error {
	_, err := ParseRollupDays(s)
	return err
}
