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

	props = contract.Settings{GroupBy: "date,query:ev"}
	env := props.Env()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Printf("%s=%s\n", k, env[k])
	}
	fn := contract.SettingsFromEnv(func(k string) string { return env[k] })
	fmt.Println(fn.Validate())
	// Output:
	// GroupBy: unknown dimension "colour" (want date, hour, path, method, status, host, type or query:NAME)
	// Format: unknown format "xml" (want csv or jsonl)
	// PMDP_FORMAT=csv
	// PMDP_GROUP_BY=date,query:ev
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
