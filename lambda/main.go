// Command pmdp is the Lambda function and, started from a terminal, the
// local pmdp command.
package main

import (
	"os"

	"github.com/pmdp/pmdp/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
