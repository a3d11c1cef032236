package chiatls

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// expectedFiles lists every file of a full tree, relative to
// config/ssl, with its mode.
func expectedFiles() map[string]fs.FileMode {
	m := map[string]fs.FileMode{
		"ca/private_ca.crt": 0o644, "ca/private_ca.key": 0o600,
		"ca/chia_ca.crt": 0o644, "ca/chia_ca.key": 0o600,
	}
	for _, s := range PrivateServices() {
		m[string(s)+"/private_"+string(s)+".crt"] = 0o644
		m[string(s)+"/private_"+string(s)+".key"] = 0o600
	}
	for _, s := range PublicServices() {
		m[string(s)+"/public_"+string(s)+".crt"] = 0o644
		m[string(s)+"/public_"+string(s)+".key"] = 0o600
	}
	return m
}

type fileState struct {
	mode fs.FileMode
	data []byte
}

// snapshot returns every regular file under dir (relative, slash
// separated) with its mode and contents.
func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = fileState{fi.Mode(), data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testTree(t *testing.T) (Tree, *bytes.Buffer) {
	var logs bytes.Buffer
	return Tree{
		Root:   t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		now:    func() time.Time { return testNow },
	}, &logs
}

func TestInitCreatesTree(t *testing.T) {
	tree, _ := testTree(t)
	if err := tree.Init(); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, tree.SSLDir())
	want := expectedFiles()
	if got := slices.Sorted(maps.Keys(first)); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("files:\n%v\nwant:\n%v", got, slices.Sorted(maps.Keys(want)))
	}
	if runtime.GOOS != "windows" {
		for name, st := range first {
			if st.mode.Perm() != want[name] {
				t.Errorf("%s: mode %#o, want %#o", name, st.mode.Perm(), want[name])
			}
		}
	}
	crt, key := PublicCAPEM()
	if !bytes.Equal(first["ca/chia_ca.crt"].data, crt) || !bytes.Equal(first["ca/chia_ca.key"].data, key) {
		t.Error("ca/chia_ca.* are not the bundled chia CA byte for byte")
	}
	for name, st := range first {
		b, _ := pem.Decode(st.data)
		if b == nil {
			t.Fatalf("%s: not PEM", name)
		}
		if strings.HasSuffix(name, ".key") && b.Type != "PRIVATE KEY" {
			t.Errorf("%s: PEM type %q, want PRIVATE KEY", name, b.Type)
		}
	}

	// Every certificate chains to the CA of its kind and looks like the
	// reference's.
	for _, k := range []Kind{Private, Public} {
		ca, err := tree.LoadCA(k)
		if err != nil {
			t.Fatal(err)
		}
		pool, err := tree.CertPool(k)
		if err != nil {
			t.Fatal(err)
		}
		services := PrivateServices()
		if k == Public {
			services = PublicServices()
		}
		for _, s := range services {
			p, err := tree.LoadCertificate(s, k)
			if err != nil {
				t.Fatalf("%s %s: %v", s, k, err)
			}
			if _, err := VerifyChain([]*x509.Certificate{p.Cert}, pool); err != nil {
				t.Errorf("%s %s: %v", s, k, err)
			}
			checkNodeCert(t, p, ca.Cert, testNow)
		}
	}
	if problems, err := tree.CheckPermissions(); err != nil || len(problems) != 0 {
		t.Errorf("CheckPermissions on a fresh tree = %v, %v", problems, err)
	}

	// A second Init changes nothing.
	if err := Init(tree.Root); err != nil {
		t.Fatal(err)
	}
	second := snapshot(t, tree.SSLDir())
	if len(second) != len(first) {
		t.Fatalf("second Init: %d files, was %d", len(second), len(first))
	}
	for name, st := range first {
		if st2 := second[name]; st2.mode != st.mode || !bytes.Equal(st2.data, st.data) {
			t.Errorf("second Init changed %s", name)
		}
	}

	// Own node id: the public certificate where there is one.
	for _, tc := range []struct {
		s Service
		k Kind
	}{{FullNode, Public}, {Introducer, Public}, {Harvester, Private}, {Daemon, Private}} {
		crt, _ := tree.CertPaths(tc.s, tc.k)
		b, _ := pem.Decode(first[strings.TrimPrefix(filepath.ToSlash(crt), filepath.ToSlash(tree.SSLDir())+"/")].data)
		got, err := tree.NodeID(tc.s)
		if err != nil || got != sha256.Sum256(b.Bytes) {
			t.Errorf("NodeID(%s) = %x, %v; want sha256 of %s", tc.s, got, err, crt)
		}
	}
}

func TestEnsureServiceCreatesOnlyMissing(t *testing.T) {
	tree, _ := testTree(t)
	if err := tree.EnsureService(Introducer); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(snapshot(t, tree.SSLDir())))
	want := []string{"ca/chia_ca.crt", "ca/chia_ca.key", "introducer/public_introducer.crt", "introducer/public_introducer.key"}
	if !slices.Equal(got, want) {
		t.Fatalf("after EnsureService(introducer): %v, want %v", got, want)
	}
	if err := tree.EnsureService(Harvester); err != nil {
		t.Fatal(err)
	}
	got = slices.Sorted(maps.Keys(snapshot(t, tree.SSLDir())))
	want = slices.Sorted(slices.Values(append(want, "ca/private_ca.crt", "ca/private_ca.key", "harvester/private_harvester.crt", "harvester/private_harvester.key")))
	if !slices.Equal(got, want) {
		t.Fatalf("after EnsureService(harvester): %v, want %v", got, want)
	}
	if err := tree.EnsureService("nonesuch"); !errors.Is(err, ErrUnknownService) {
		t.Errorf("EnsureService(nonesuch) = %v, want ErrUnknownService", err)
	}
	if _, err := tree.NodeID("nonesuch"); !errors.Is(err, ErrUnknownService) {
		t.Errorf("NodeID(nonesuch) = %v, want ErrUnknownService", err)
	}
}

func TestIncompletePairIsNotTouched(t *testing.T) {
	tree, _ := testTree(t)
	crt, key := tree.CertPaths(Introducer, Public)
	if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, []byte("lonely"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ie *IncompleteError
	if err := tree.EnsureService(Introducer); !errors.As(err, &ie) || ie.Present != key || ie.Missing != crt {
		t.Fatalf("EnsureService = %v, want IncompleteError for %s", err, key)
	}
	if err := tree.Init(); !errors.As(err, &ie) {
		t.Fatalf("Init = %v, want IncompleteError", err)
	}
	// Init checks before it creates anything.
	if got := slices.Sorted(maps.Keys(snapshot(t, tree.SSLDir()))); !slices.Equal(got, []string{"introducer/public_introducer.key"}) {
		t.Errorf("Init created files before failing: %v", got)
	}
	if data, _ := os.ReadFile(key); string(data) != "lonely" {
		t.Errorf("the lone key was changed")
	}
	if _, err := os.Stat(crt); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a certificate was written next to a foreign key: %v", err)
	}
}

func TestWriteNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "x", "a.key"), filepath.Join(dir, "x", "b.crt")
	if err := os.MkdirAll(filepath.Dir(b), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeNewFiles(newFile{a, []byte("new a"), 0o600}, newFile{b, []byte("new b"), 0o644})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("writeNewFiles over an existing file = %v, want ErrExist", err)
	}
	if data, _ := os.ReadFile(b); string(data) != "old" {
		t.Errorf("existing file overwritten: %q", data)
	}
	// Neither the half-written pair nor any temporary file is left.
	got := slices.Sorted(maps.Keys(snapshot(t, dir)))
	if !slices.Equal(got, []string{"x/b.crt"}) {
		t.Errorf("files left: %v", got)
	}
}

// writeReferenceLike writes a certificate pair as an older reference
// install has it: PKCS#1 "RSA PRIVATE KEY", with the given key mode.
func writeReferenceLike(t *testing.T, crtPath, keyPath string, p *KeyPair, keyMode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(crtPath), 0o755); err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.Key.(*rsa.PrivateKey))})
	if err := os.WriteFile(crtPath, encodeCertsPEM([]*x509.Certificate{p.Cert}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyPath, keyMode); err != nil { // not subject to umask
		t.Fatal(err)
	}
}

func TestLoadReferenceLikeTree(t *testing.T) {
	tree, logs := testTree(t)
	// The install's "chia_ca" is a CA of its own (as a private testnet
	// would have): the tree's files must win over the bundled CA.
	treeChiaCA := must(t, testOtherCA)
	privCA := must(t, testPrivateCA)
	pub := must(t, testForeign)   // signed by treeChiaCA
	priv := must(t, testPrivateA) // signed by privCA
	c, k := tree.CAPaths(Public)
	writeReferenceLike(t, c, k, treeChiaCA, 0o600)
	c, k = tree.CAPaths(Private)
	writeReferenceLike(t, c, k, privCA, 0o644) // loose: must warn, not refuse
	c, k = tree.CertPaths(FullNode, Public)
	writeReferenceLike(t, c, k, pub, 0o600)
	c, k = tree.CertPaths(FullNode, Private)
	writeReferenceLike(t, c, k, priv, 0o600)
	before := snapshot(t, tree.SSLDir())

	ca, err := tree.LoadCA(Public)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.Cert.Raw, treeChiaCA.Cert.Raw) {
		t.Error("LoadCA(Public) did not use the tree's ca/chia_ca.crt")
	}
	got, err := tree.LoadCertificate(FullNode, Public)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Cert.Raw, pub.Cert.Raw) {
		t.Error("LoadCertificate(full_node, public) returned another certificate")
	}
	if id, err := tree.NodeID(FullNode); err != nil || id != sha256.Sum256(pub.Cert.Raw) {
		t.Errorf("NodeID(full_node) = %x, %v", id, err)
	}
	pool, err := tree.CertPool(Public)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyChain([]*x509.Certificate{pub.Cert}, pool); err != nil {
		t.Errorf("tree's public cert against tree's chia_ca: %v", err)
	}
	if _, err := VerifyChain([]*x509.Certificate{must(t, testPublicA).Cert}, pool); err == nil {
		t.Error("a cert from the bundled chia CA verified against the tree's own chia_ca")
	}
	if _, err := tree.LoadCA(Private); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "private_ca.key") {
		t.Errorf("no warning about the loose private_ca.key; logs:\n%s", logs)
	}
	problems, err := tree.CheckPermissions()
	if runtime.GOOS != "windows" && (err != nil || len(problems) != 1 || !strings.HasSuffix(problems[0].Path, "private_ca.key") || problems[0].Mode != 0o644 || problems[0].Want != 0o600) {
		t.Errorf("CheckPermissions = %v, %v", problems, err)
	}

	// Paths as config.yaml gives them, relative to the root.
	if p, err := tree.LoadFiles("config/ssl/full_node/private_full_node.crt", "config/ssl/full_node/private_full_node.key"); err != nil || !bytes.Equal(p.Cert.Raw, priv.Cert.Raw) {
		t.Errorf("LoadFiles: %v", err)
	}
	if _, err := tree.CertPoolFile("config/ssl/ca/private_ca.crt"); err != nil {
		t.Errorf("CertPoolFile: %v", err)
	}

	// Ensuring full_node keeps its certificates; a new service's public
	// certificate is signed by the tree's chia_ca.
	if err := tree.EnsureService(FullNode); err != nil {
		t.Fatal(err)
	}
	if err := tree.EnsureService(Wallet); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, tree.SSLDir())
	for name, st := range before {
		if st2, ok := after[name]; !ok || !bytes.Equal(st2.data, st.data) || st2.mode != st.mode {
			t.Errorf("EnsureService changed %s", name)
		}
	}
	w, err := tree.LoadCertificate(Wallet, Public)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyChain([]*x509.Certificate{w.Cert}, pool); err != nil {
		t.Errorf("new wallet cert is not signed by the tree's chia_ca: %v", err)
	}
	if _, err := tree.LoadCertificate(Wallet, Private); err != nil {
		t.Errorf("wallet private cert: %v", err)
	}
}

func TestPublicCAFallback(t *testing.T) {
	tree, _ := testTree(t)
	ca, err := tree.LoadCA(Public)
	if err != nil {
		t.Fatal(err)
	}
	bundled, err := PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.Cert.Raw, bundled.Cert.Raw) {
		t.Error("LoadCA(Public) on an empty tree is not the bundled chia CA")
	}
	pool, err := tree.CertPool(Public)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyChain([]*x509.Certificate{must(t, testPublicA).Cert}, pool); err != nil {
		t.Error(err)
	}
	if _, err := tree.LoadCA(Private); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadCA(Private) on an empty tree = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(tree.SSLDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Error("loading wrote to the tree")
	}
}

// TestRelativeRoot: a Root relative to the working directory works for
// every use, and nothing is looked for (or made) under Root twice.
func TestRelativeRoot(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	tree := Tree{Root: filepath.Join("rel", "root"), now: func() time.Time { return testNow }}
	if err := tree.EnsureService(FullNode); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ServerConfig(FullNode); err != nil {
		t.Errorf("ServerConfig: %v", err)
	}
	if _, err := tree.ClientConfig(FullNode); err != nil {
		t.Errorf("ClientConfig: %v", err)
	}
	if _, err := tree.NodeID(FullNode); err != nil {
		t.Errorf("NodeID: %v", err)
	}
	for _, k := range []Kind{Private, Public} {
		if _, err := tree.CertPool(k); err != nil {
			t.Errorf("CertPool(%v): %v", k, err)
		}
		if _, err := tree.LoadCA(k); err != nil {
			t.Errorf("LoadCA(%v): %v", k, err)
		}
	}
	if _, err := tree.CertPoolFile("config/ssl/ca/chia_ca.crt"); err != nil {
		t.Errorf("CertPoolFile: %v", err)
	}
	if _, err := tree.LoadFiles("config/ssl/full_node/public_full_node.crt", "config/ssl/full_node/public_full_node.key"); err != nil {
		t.Errorf("LoadFiles: %v", err)
	}
	if _, err := os.Stat(filepath.Join(wd, "rel", "root", "config", "ssl", "ca", "chia_ca.crt")); err != nil {
		t.Errorf("the tree is not under the working directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(wd, "rel", "root", "rel")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Root joined twice: %v", err)
	}
}
