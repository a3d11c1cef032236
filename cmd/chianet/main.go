package main

import (
	"context"
	"fmt"
	"io"
	"os"

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
	}
	root.AddCommand(
		newDecodeCmd(stdin, stdout),
		newEncodeCmd(stdin, stdout),
		newHashCmd(stdin, stdout),
		newNodeCmd(),
		newTypesCmd(stdout),
		newInitCmd(stdout),
		newCertsCmd(stdout),
		newPeerCmd(stdout),
		newSeederCmd(stdout),
	)
	return root
}
