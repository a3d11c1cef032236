package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chianet/chianet/chiatls"
	"github.com/spf13/cobra"
)

// defaultRoot returns the reference's default CHIA_ROOT: $CHIA_ROOT, else
// ~/.chia/mainnet, with a leading ~ expanded in either (chia's
// DEFAULT_ROOT_PATH).
func defaultRoot() string {
	root := os.Getenv("CHIA_ROOT")
	if root == "" {
		root = filepath.Join("~", ".chia", "mainnet")
	}
	return expandHome(root)
}

// expandHome replaces a leading "~" with the home directory, as Python's
// os.path.expanduser does. Without a home directory the path is kept.
func expandHome(path string) string {
	if path != "~" && !strings.HasPrefix(path, "~"+string(filepath.Separator)) && !strings.HasPrefix(path, "~/") {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path
	}
	return filepath.Join(home, path[1:])
}

// treeFiles returns every file of the reference layout under t, CAs
// first, in the reference's order.
func treeFiles(t chiatls.Tree) []string {
	var files []string
	for _, k := range []chiatls.Kind{chiatls.Private, chiatls.Public} {
		crt, key := t.CAPaths(k)
		files = append(files, crt, key)
	}
	for _, s := range chiatls.PrivateServices() {
		crt, key := t.CertPaths(s, chiatls.Private)
		files = append(files, crt, key)
	}
	for _, s := range chiatls.PublicServices() {
		crt, key := t.CertPaths(s, chiatls.Public)
		files = append(files, crt, key)
	}
	return files
}

// missingFiles returns those of files that do not exist.
func missingFiles(files []string) ([]string, error) {
	var missing []string
	for _, f := range files {
		_, err := os.Stat(f)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, f)
		case err != nil:
			return nil, err
		}
	}
	return missing, nil
}

// createdBy runs create and returns which of files it created.
func createdBy(files []string, create func() error) ([]string, error) {
	before, err := missingFiles(files)
	if err != nil {
		return nil, err
	}
	if err := create(); err != nil {
		return nil, err
	}
	after, err := missingFiles(files)
	if err != nil {
		return nil, err
	}
	var created []string
	for _, f := range before {
		if !slices.Contains(after, f) {
			created = append(created, f)
		}
	}
	return created, nil
}

// relTo returns path relative to root when it lies inside it.
func relTo(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func newCertsCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Manage the CHIA_ROOT certificate tree",
	}
	cmd.AddCommand(newCertsInitCmd(stdout))
	return cmd
}

func newCertsInitCmd(stdout io.Writer) *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "init [--root DIR]",
		Short: "Create the missing files of the CHIA_ROOT/config/ssl certificate tree",
		Long: `Init creates the certificate tree of a Chia install as the reference's
"chia init" does: the private CA, the public chia CA, and a private and a
public certificate for each service that has one. Existing files are never
overwritten, so an existing install keeps its certificates and node ids.
The root is --root, else $CHIA_ROOT, else ~/.chia/mainnet. Certificate or key
files with permissions looser than the reference accepts are reported on
standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("root") && root == "" {
				return errors.New("--root must not be empty")
			}
			if root == "" {
				root = defaultRoot()
			}
			tree := chiatls.Tree{Root: expandHome(root)}
			files := treeFiles(tree)
			created, err := createdBy(files, tree.Init)
			if err != nil {
				return err
			}
			var b strings.Builder
			for _, f := range created {
				fmt.Fprintf(&b, "created %s\n", relTo(tree.Root, f))
			}
			if len(created) == 0 {
				fmt.Fprintf(&b, "all %d files already exist in %s; nothing created\n", len(files), tree.SSLDir())
			} else {
				fmt.Fprintf(&b, "created %d of %d files in %s\n", len(created), len(files), tree.SSLDir())
			}
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
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "root", "", "CHIA_ROOT directory (default $CHIA_ROOT, else ~/.chia/mainnet)")
	return cmd
}
