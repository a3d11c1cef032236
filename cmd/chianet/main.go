package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code, so
// tests can drive the whole tool in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdin, stdout, stderr)
}

// runContext is run with a context that long-running commands (node)
// stop on, besides SIGINT and SIGTERM; tests cancel it.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "chianet:", err)
		return 1
	}
	return 0
}

func newRootCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "chianet",
		Short:         "chianet: the Chia peer-to-peer networking stack",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newDecodeCmd(stdin, stdout),
		newEncodeCmd(stdin, stdout),
		newHashCmd(stdin, stdout),
		newNodeCmd(),
		newIntroducerCmd(),
		newTypesCmd(stdout),
		newInitCmd(stdout),
		newCertsCmd(stdout),
		newPeerCmd(stdout),
		newShowCmd(stdout),
		newStopCmd(stdout),
		newVersionCmd(stdout),
		newSeederCmd(stdout),
		newDevnetCmd(stdout),
	)
	return root
}

// strconvNoise is what pflag adds to a flag's bad number: the parser's
// name and the value a second time.
var strconvNoise = regexp.MustCompile(`strconv\.Parse\w+: parsing "[^"]*": `)

// flagError shortens the library's error for a flag value that does not
// parse to one line naming the flag, the value and what is wrong, e.g.
// `invalid argument "x" for "--port" flag: invalid syntax`.
func flagError(_ *cobra.Command, err error) error {
	return errors.New(strconvNoise.ReplaceAllString(err.Error(), ""))
}
