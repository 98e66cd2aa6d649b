package contract_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pmdp/pmdp/internal/contract"
)

// The construct checks its props as Settings, naming them as props, and
// hands the function the same settings as its environment; the function
// reads them back and checks them with the same rules.
func ExampleSettings() {
	props := contract.Settings{GroupBy: "date,colour", Format: "xml"}
	fmt.Println(props.ValidateAs(contract.ByField))

	props = contract.Settings{GroupBy: "date,query:ev", Include: "bot=no"}
	props.Exclude = contract.JoinFilters(props.Exclude, contract.ExcludeRedirects)
	env := props.Env()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Printf("%s=%s\n", k, env[k])
	}
	fn := contract.SettingsFromEnv(func(k string) string { return env[k] })
	fmt.Println(fn.Validate())
	// Output:
	// GroupBy: unknown dimension "colour" (want date, hour, path, method, status, host, type, action, bot or query:NAME)
	// Format: unknown format "xml" (want csv or jsonl)
	// PMDP_EXCLUDE=action=redirect
	// PMDP_FORMAT=csv
	// PMDP_GROUP_BY=date,query:ev
	// PMDP_INCLUDE=bot=no
	// PMDP_MAX_GROUPS=100000
	// PMDP_ROLLUP_DAYS=3
	// PMDP_ROLLUP_PREFIX=rollups/
	// PMDP_SUMMARY_PREFIX=summaries/
	// <nil>
}

func ExampleNotificationFilter() {
	f := contract.NotificationFilter("logs")
	fmt.Printf("%+v\n", f)
	fmt.Println(f.Matches("logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/x.log.gz"))
	fmt.Println(f.Matches("summaries/dt=2026-11-26/x.csv"))
	// Output:
	// {Prefix:logs/AWSLogs/ Suffix:.log.gz}
	// true
	// false
}

// A filter as the command takes it (one clause a flag) and as the
// function's environment holds it (clauses joined).
func ExampleParseFilter() {
	flags := []string{"bot=no", "query:ev=signup|login"}
	env := contract.JoinFilters(flags...)
	fmt.Println(env)
	clauses, err := contract.ParseFilter(env)
	for _, c := range clauses {
		fmt.Printf("%s is one of %q\n", c.Dimension, c.Values)
	}
	fmt.Println(err)
	_, err = contract.ParseFilter("bot=maybe;status")
	fmt.Println(err)
	// Output:
	// bot=no;query:ev=signup|login
	// bot is one of ["no"]
	// query:ev is one of ["signup" "login"]
	// <nil>
	// clause "bot=maybe": bot is yes or no, not "maybe"
	// clause "status": want DIMENSION=VALUE, values separated by |
}
