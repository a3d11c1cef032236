package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
)

type fileState struct {
	data  []byte
	mode  fs.FileMode
	mtime time.Time
}

// snapshot records every file and directory under root.
func snapshot(t *testing.T, root string) map[string]fileState {
	t.Helper()
	m := make(map[string]fileState)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fileState{mode: fi.Mode(), mtime: fi.ModTime()}
		if !d.IsDir() {
			if st.data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		m[p] = st
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInitEmptyRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "chia root")
	out, errOut, code := chianet(t, "", "init", "--root", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
	cfgRel := filepath.Join("config", "config.yaml")
	for _, want := range []string{
		"created " + cfgRel + "\n",
		"created " + filepath.Join("config", "ssl", "ca", "private_ca.key") + "\n",
		"created " + filepath.Join("config", "ssl", "full_node", "public_full_node.crt") + "\n",
		"created 36 of 36 certificate files in " + filepath.Join("config", "ssl") + "\n",
		"CHIA_ROOT is " + root + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Count(out, "created "); got != 1+36+1 {
		t.Errorf("%d created lines:\n%s", got, out)
	}

	// The config is chianet's default, and its certificate paths are the
	// files just created.
	c, err := config.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	def, err := config.Default(root)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.FullNode, def.FullNode) || !reflect.DeepEqual(c.Seeder, def.Seeder) || c.SelectedNetworkName() != "mainnet" {
		t.Errorf("config.yaml is not the default: %+v", c)
	}
	for _, p := range []string{c.PrivateSSLCA.Crt, c.PrivateSSLCA.Key, c.ChiaSSLCA.Crt, c.ChiaSSLCA.Key,
		c.DaemonSSL.PrivateCrt, c.DaemonSSL.PrivateKey, c.FullNode.SSL.PrivateCrt, c.FullNode.SSL.PublicKey,
		c.Introducer.SSL.PublicCrt, c.Seeder.Crawler.SSL.PrivateKey} {
		if _, err := os.Stat(c.Path(p)); err != nil {
			t.Errorf("config names %s: %v", p, err)
		}
	}
	for _, f := range treeFiles(chiatls.Tree{Root: root}) {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if fi, err := os.Stat(config.FilePath(root)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("config.yaml: %v, %v", fi.Mode(), err)
	}

	// A second run changes nothing.
	before := snapshot(t, root)
	out, errOut, code = chianet(t, "", "init", "--root", root)
	want := "kept existing " + cfgRel + " (selected network mainnet)\n" +
		"kept all 36 existing certificate files in " + filepath.Join("config", "ssl") + "\n" +
		"CHIA_ROOT is " + root + "\n"
	if code != 0 || out != want || errOut != "" {
		t.Fatalf("second run: exit %d, %q, %q; want %q", code, out, errOut, want)
	}
	if after := snapshot(t, root); !reflect.DeepEqual(after, before) {
		t.Error("second run changed the root")
	}
}

// TestInitExistingRoot runs init on a root that has a reference-shaped
// config.yaml and part of the certificate tree: both are kept as they are.
func TestInitExistingRoot(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "..", "config", "testdata", "reference-initial.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ref = append(ref, []byte("unknown_tool:\n  keep: [me]\n")...)
	ref = bytes.Replace(ref, []byte(`selected_network: &selected_network "mainnet"`), []byte(`selected_network: &selected_network "testneta"`), 1)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config.FilePath(root), ref, 0o600); err != nil {
		t.Fatal(err)
	}
	tree := chiatls.Tree{Root: root}
	if _, err := tree.EnsureCA(chiatls.Private); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)

	t.Setenv(config.RootEnv, root) // no --root: $CHIA_ROOT
	out, errOut, code := chianet(t, "", "init")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "kept existing "+filepath.Join("config", "config.yaml")+" (selected network testneta)\n") ||
		!strings.Contains(out, "created 34 of 36 certificate files") || strings.Contains(out, "private_ca") {
		t.Errorf("output:\n%s", out)
	}
	after := snapshot(t, root)
	for p, st := range before {
		// Directories gain the new files; every file that was there is
		// as it was.
		if !st.mode.IsDir() && !reflect.DeepEqual(after[p], st) {
			t.Errorf("%s changed", p)
		}
	}
	if got, _ := os.ReadFile(config.FilePath(root)); !bytes.Equal(got, ref) {
		t.Error("config.yaml changed")
	}

	// Once complete, another run changes nothing at all.
	before = snapshot(t, root)
	if _, errOut, code := chianet(t, "", "init"); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if after := snapshot(t, root); !reflect.DeepEqual(after, before) {
		t.Error("second run changed the root")
	}
}

// TestInitBadConfig stops before creating anything when the existing
// config.yaml cannot be used.
func TestInitBadConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll(filepath.Join("rel", "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := []byte("full_node:\n  port: 70000\n  target_peer_count: 4\n")
	if err := os.WriteFile(filepath.Join("rel", "config", "config.yaml"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := chianet(t, "", "init", "--root", "rel")
	if code == 0 || out != "" {
		t.Fatalf("exit %d, %q", code, out)
	}
	for _, want := range []string{
		filepath.Join(dir, "rel", "config", "config.yaml"), // the root made absolute
		"full_node.port: 70000 is out of range",
		"full_node.target_outbound_peer_count: 8 is more than full_node.target_peer_count (4)",
		"nothing was created",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join("rel", "config", "ssl")); !os.IsNotExist(err) {
		t.Errorf("ssl tree created: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join("rel", "config", "config.yaml")); !bytes.Equal(got, bad) {
		t.Error("config.yaml changed")
	}
}

// init keeps an existing config.yaml as it is, and warns of a key in it
// that looks like a typo of one chianet reads.
func TestInitWarnsOfMisspeltKey(t *testing.T) {
	root := t.TempDir()
	writeConfig(t, root, "selected_network: mainnet\nfull_node:\n  rpc_prot: 8555\n")
	_, errOut, code := chianet(t, "", "init", "--root", root)
	want := "chianet: warning: config/config.yaml line 3: full_node.rpc_prot is not a key chianet reads, so it is ignored; did you mean full_node.rpc_port?\n"
	if code != 0 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 0 and %q", code, errOut, want)
	}
}
