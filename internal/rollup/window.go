package rollup

import (
	"context"
	"errors"
	"time"
)

// SweepDates are the dates a sweep at now rebuilds: the last days UTC
// dates, oldest first, today's included.
func SweepDates(now time.Time, days int) []string {
	today := now.UTC().Truncate(24 * time.Hour)
	dates := make([]string, 0, days)
	for i := days - 1; i >= 0; i-- {
		dates = append(dates, today.AddDate(0, 0, -i).Format(time.DateOnly))
	}
	return dates
}

// AtOnce reports whether a summary of date written at now must be rolled
// up at once rather than left to the sweeps, which run at least daily over
// the last days dates: when the next sweep, up to a day later, might not
// cover date. That is every date before the last days-1 (a sweep that
// starts tomorrow no longer reaches back that far) and every date after
// today (no sweep reaches it before it comes).
func AtOnce(date string, now time.Time, days int) bool {
	today := now.UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -(days - 2)).Format(time.DateOnly)
	return date < first || date > today.Format(time.DateOnly)
}

// BuildAll builds the rollup of each date in turn, calling done (when not
// nil) after each, and goes on past a date that fails; the error joins
// every date's. It stops early only when ctx ends.
func (b *Builder) BuildAll(ctx context.Context, dates []string, done func(Result, error)) ([]Result, error) {
	var results []Result
	var errs []error
	for _, d := range dates {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		res, err := b.Build(ctx, d)
		if done != nil {
			done(res, err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, res)
	}
	return results, errors.Join(errs...)
}
