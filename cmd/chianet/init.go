package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/spf13/cobra"
)

func newInitCmd(stdout io.Writer) *cobra.Command {
	var rootFlag string
	cmd := &cobra.Command{
		Use:   "init [--root DIR]",
		Short: "Create CHIA_ROOT's config.yaml and certificate tree where missing",
		Long: `Init prepares a CHIA_ROOT directory as the reference's "chia init" does:
it writes config/config.yaml (the reference's layout and mainnet defaults,
for the sections chianet reads and the ui section its clients read) and
the certificate tree under config/ssl
(the private CA, the public chia CA, and each service's certificates).

Nothing that exists is changed: an existing config.yaml, a reference one
included, is checked and kept as it is, and existing certificates and keys
are kept, so an existing install keeps its settings and node ids. If the
existing config.yaml cannot be read, init stops before creating anything.

The root is --root, else $CHIA_ROOT, else ~/.chia/mainnet. Every file
created is listed; certificate or key files with permissions looser than
the reference accepts are reported on standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := config.ResolveRoot(rootFlag)
			if err != nil {
				return err
			}
			var b strings.Builder
			cfgFile := relTo(root, config.FilePath(root))
			existing, err := config.Load(root)
			switch {
			case err == nil:
				fmt.Fprintf(&b, "kept existing %s (selected network %s)\n", cfgFile, existing.SelectedNetworkName())
			case errors.Is(err, fs.ErrNotExist):
				c, err := config.Default(root)
				if err != nil {
					return err
				}
				if err := c.Create(); err != nil {
					return err
				}
				fmt.Fprintf(&b, "created %s\n", cfgFile)
			default:
				return fmt.Errorf("%w (nothing was created; fix or move the file and run init again)", err)
			}

			tree := chiatls.Tree{Root: root}
			files := treeFiles(tree)
			created, err := createdBy(files, tree.Init)
			if err != nil {
				return err
			}
			for _, f := range created {
				fmt.Fprintf(&b, "created %s\n", relTo(root, f))
			}
			if len(created) == 0 {
				fmt.Fprintf(&b, "kept all %d existing certificate files in %s\n", len(files), relTo(root, tree.SSLDir()))
			} else {
				fmt.Fprintf(&b, "created %d of %d certificate files in %s\n", len(created), len(files), relTo(root, tree.SSLDir()))
			}
			fmt.Fprintf(&b, "CHIA_ROOT is %s\n", root)
			if _, err := io.WriteString(stdout, b.String()); err != nil {
				return err
			}
			problems, err := tree.CheckPermissions()
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(cmd.ErrOrStderr(), "chianet: warning:", p)
			}
			if existing != nil {
				// init has no logger: the warning node and seeder log
				// (misspeltKeyMsg) as one line of standard error.
				for _, m := range existing.Misspellings() {
					fmt.Fprintf(cmd.ErrOrStderr(), "chianet: warning: %s line %d: %s is not a key chianet reads, so it is ignored; did you mean %s?\n",
						cfgFile, m.Line, m.Key, m.Want)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rootFlag, "root", "", "CHIA_ROOT directory (default $CHIA_ROOT, else ~/.chia/mainnet)")
	return cmd
}
