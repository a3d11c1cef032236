package chiatls

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// movedTree makes the full node's and the daemon's certificates and the
// private CA in a tree of their own, then returns a Tree on another root
// whose Files names them: the daemon's and the CA's by paths relative to
// the root, the full node's by absolute paths.
func movedTree(t *testing.T) (tree Tree, moved Tree) {
	t.Helper()
	tree, _ = testTree(t)
	moved = Tree{Root: filepath.Join(tree.Root, "elsewhere"), now: tree.now}
	for _, s := range []Service{FullNode, Daemon} {
		if err := moved.EnsureService(s); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(p string) string {
		r, err := filepath.Rel(tree.Root, p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	file := func(name, path string) ConfigFile { return ConfigFile{Name: name, Path: path} }
	caCrt, caKey := moved.CAPaths(Private)
	dCrt, dKey := moved.CertPaths(Daemon, Private)
	pubCrt, pubKey := moved.CertPaths(FullNode, Public)
	privCrt, privKey := moved.CertPaths(FullNode, Private)
	tree.Files = &Files{
		CA: map[Kind]ConfigPair{
			Private: {file("private_ssl_ca.crt", rel(caCrt)), file("private_ssl_ca.key", rel(caKey))},
		},
		Cert: map[Slot]ConfigPair{
			{Daemon, Private}:   {file("daemon_ssl.private_crt", rel(dCrt)), file("daemon_ssl.private_key", rel(dKey))},
			{FullNode, Public}:  {file("full_node.ssl.public_crt", pubCrt), file("full_node.ssl.public_key", pubKey)},
			{FullNode, Private}: {file("full_node.ssl.private_crt", privCrt), file("full_node.ssl.private_key", privKey)},
		},
	}
	return tree, moved
}

func TestFilesPlaceCertificates(t *testing.T) {
	tree, moved := movedTree(t)
	for _, s := range []Service{FullNode, Daemon} {
		if err := tree.EnsureService(s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(tree.SSLDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the default layout was touched: %v", err)
	}

	for _, s := range []Service{FullNode, Daemon} {
		crt, key := tree.CertPaths(s, Private)
		wantCrt, wantKey := moved.CertPaths(s, Private)
		if crt != wantCrt || key != wantKey {
			t.Errorf("%s: CertPaths = %s, %s; want %s, %s", s, crt, key, wantCrt, wantKey)
		}
	}
	cert, pool, err := tree.Credentials(Daemon, Private)
	if err != nil {
		t.Fatal(err)
	}
	want, err := moved.LoadCertificate(Daemon, Private)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert.Certificate[0], want.Cert.Raw) {
		t.Error("Credentials(Daemon) is not the configured certificate")
	}
	if _, err := want.Cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the configured daemon certificate does not verify under the configured CA: %v", err)
	}
	ca, err := tree.LoadCA(Private)
	if err != nil {
		t.Fatal(err)
	}
	movedCA, err := moved.LoadCA(Private)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.Equal(movedCA.Cert) {
		t.Error("LoadCA(Private) is not the configured CA")
	}

	id, err := tree.NodeID(FullNode)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := moved.LoadCertificate(FullNode, Public)
	if err != nil {
		t.Fatal(err)
	}
	if id != sha256.Sum256(pub.Cert.Raw) {
		t.Error("NodeID(FullNode) is not the hash of the configured public certificate")
	}
}

func TestFilesMissingIsNotCreated(t *testing.T) {
	tree, _ := testTree(t)
	gone := filepath.Join("moved", "private_daemon.crt")
	tree.Files = &Files{Cert: map[Slot]ConfigPair{
		{Daemon, Private}: {
			Crt: ConfigFile{Name: "daemon_ssl.private_crt", Path: gone},
			Key: ConfigFile{Name: "daemon_ssl.private_key", Path: filepath.Join("moved", "private_daemon.key")},
		},
	}}
	check := func(what string, err error) {
		t.Helper()
		var me *MissingError
		if !errors.As(err, &me) {
			t.Fatalf("%s: %v, want a *MissingError", what, err)
		}
		if me.Name != "daemon_ssl.private_crt" || me.Path != filepath.Join(tree.Root, gone) {
			t.Errorf("%s: MissingError{%q, %q}", what, me.Name, me.Path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v does not wrap fs.ErrNotExist", what, err)
		}
	}
	check("EnsureService", tree.EnsureService(Daemon))
	_, _, err := tree.Credentials(Daemon, Private)
	check("Credentials", err)
	check("Init", tree.Init())
	if _, err := os.Stat(filepath.Join(tree.Root, "moved")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was made at the configured place: %v", err)
	}
	if crt, _ := tree.defaultCert(Daemon, Private); fileOK(crt) {
		t.Error("the daemon certificate was made at the default place instead")
	}
}

func TestFilesMissingPublicCA(t *testing.T) {
	tree, _ := testTree(t)
	tree.Files = &Files{CA: map[Kind]ConfigPair{
		Public: {
			Crt: ConfigFile{Name: "chia_ssl_ca.crt", Path: "/nonexistent/chia_ca.crt"},
			Key: ConfigFile{Name: "chia_ssl_ca.key", Path: "/nonexistent/chia_ca.key"},
		},
	}}
	// A chia CA config.yaml moves must exist: the bundled one is not
	// silently used instead.
	var me *MissingError
	if _, err := tree.CertPool(Public); !errors.As(err, &me) || me.Name != "chia_ssl_ca.crt" {
		t.Errorf("CertPool: %v, want a *MissingError for chia_ssl_ca.crt", err)
	}
	if _, err := tree.LoadCA(Public); !errors.As(err, &me) {
		t.Errorf("LoadCA: %v, want a *MissingError", err)
	}
	if err := tree.EnsureService(FullNode); !errors.As(err, &me) {
		t.Errorf("EnsureService: %v, want a *MissingError", err)
	}
}

// TestFilesDefaultPlaceIsCreated checks that config.yaml's default values,
// which name the default layout, leave the Tree creating what is missing
// there, also when a service names another service's pair of the same
// kind as the reference's introducer does.
func TestFilesDefaultPlaceIsCreated(t *testing.T) {
	tree, _ := testTree(t)
	file := func(name, path string) ConfigFile { return ConfigFile{Name: name, Path: path} }
	tree.Files = &Files{
		CA: map[Kind]ConfigPair{
			Private: {file("private_ssl_ca.crt", "config/ssl/ca/private_ca.crt"), file("private_ssl_ca.key", "config/ssl/ca/private_ca.key")},
		},
		Cert: map[Slot]ConfigPair{
			{Daemon, Private}: {file("daemon_ssl.private_crt", "config/ssl/daemon/private_daemon.crt"),
				file("daemon_ssl.private_key", "config/ssl/daemon/private_daemon.key")},
			{Introducer, Public}: {file("introducer.ssl.public_crt", "config/ssl/full_node/public_full_node.crt"),
				file("introducer.ssl.public_key", "config/ssl/full_node/public_full_node.key")},
		},
	}
	for _, s := range []Service{Daemon, Introducer} {
		if err := tree.EnsureService(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"ca/private_ca.crt", "daemon/private_daemon.key", "full_node/public_full_node.crt"} {
		if !fileOK(filepath.Join(tree.SSLDir(), p)) {
			t.Errorf("%s was not created", p)
		}
	}
	if crt, _ := tree.defaultCert(Introducer, Public); fileOK(crt) {
		t.Error("the introducer's own certificate was created although config.yaml names the full node's")
	}
}

func fileOK(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// A CA named at a certificate's default place is not a default CA: it is
// not made there.
func TestFilesCAAtCertificatePlace(t *testing.T) {
	tree, _ := testTree(t)
	tree.Files = &Files{CA: map[Kind]ConfigPair{
		Private: {
			Crt: ConfigFile{Name: "private_ssl_ca.crt", Path: "config/ssl/daemon/private_daemon.crt"},
			Key: ConfigFile{Name: "private_ssl_ca.key", Path: "config/ssl/daemon/private_daemon.key"},
		},
	}}
	var me *MissingError
	if _, err := tree.EnsureCA(Private); !errors.As(err, &me) || me.Name != "private_ssl_ca.crt" {
		t.Errorf("EnsureCA: %v, want a *MissingError for private_ssl_ca.crt", err)
	}
	if _, err := os.Stat(tree.SSLDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was created: %v", err)
	}
}
