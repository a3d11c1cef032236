package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
)

// TestNodeCertFilesFromConfig runs a node on a root whose config.yaml
// places the private CA and the daemon's certificate (relative paths) and
// the full node's (absolute paths) in another directory: the node serves
// its RPC and its peers with those, creates nothing in the default
// layout, and chianet show reaches it.
func TestNodeCertFilesFromConfig(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	root := t.TempDir()
	moved := chiatls.Tree{Root: filepath.Join(root, "elsewhere")}
	for _, s := range []chiatls.Service{chiatls.FullNode, chiatls.Daemon} {
		if err := moved.EnsureService(s); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(p string) string {
		r, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	caCrt, caKey := moved.CAPaths(chiatls.Private)
	dCrt, dKey := moved.CertPaths(chiatls.Daemon, chiatls.Private)
	privCrt, privKey := moved.CertPaths(chiatls.FullNode, chiatls.Private)
	pubCrt, pubKey := moved.CertPaths(chiatls.FullNode, chiatls.Public)
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	writeConfig(t, root, `self_hostname: 127.0.0.1
private_ssl_ca:
  crt: `+quote(rel(caCrt))+`
  key: `+quote(rel(caKey))+`
daemon_ssl:
  private_crt: `+quote(rel(dCrt))+`
  private_key: `+quote(rel(dKey))+`
full_node:
  ssl:
    private_crt: `+quote(privCrt)+`
    private_key: `+quote(privKey)+`
    public_crt: `+quote(pubCrt)+`
    public_key: `+quote(pubKey)+`
`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
			"--rpc-port", "0", "--daemon-port", "-1", "--root", root, "--log-format", "json", "--log-level", "info"},
			strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("node did not stop 30s after cancel:\n%s", logs)
		}
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)
	var started struct {
		Listen string `json:"listen"`
		NodeID string `json:"node_id"`
		RPC    string `json:"rpc"`
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"msg":"node started"`) {
			if err := json.Unmarshal([]byte(line), &started); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The node id is that of the configured public certificate, and
	// peers are served with it.
	pub, err := moved.LoadCertificate(chiatls.FullNode, chiatls.Public)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(pub.Cert.Raw)
	if started.NodeID != "0x"+hex.EncodeToString(id[:]) {
		t.Errorf("node_id %s, want the hash of %s", started.NodeID, pubCrt)
	}
	peerConf, err := chiatls.Tree{Root: certRoot(t, chiatls.FullNode)}.ClientConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := serverCert(started.Listen, peerConf); err != nil || !bytes.Equal(got, pub.Cert.Raw) {
		t.Errorf("the node's peer port does not present the configured public certificate (%v)", err)
	}

	// The RPC presents the configured daemon certificate and accepts a
	// client that trusts, and holds a certificate of, only the moved CA.
	cert, pool, err := moved.Credentials(chiatls.Daemon, chiatls.Private)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := serverCert(started.RPC, chiatls.ClientConfig(cert, pool)); err != nil || !bytes.Equal(got, cert.Certificate[0]) {
		t.Errorf("the RPC does not present the configured daemon certificate (%v)", err)
	}
	_, port, err := net.SplitHostPort(started.RPC)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := chianetOut(t, "show", "--root", root, "--rpc-port", port, "--timeout", "20s")
	if code != 0 || !strings.Contains(out, "devnet") {
		t.Errorf("chianet show: exit %d\n%s%s", code, out, errOut)
	}

	if _, err := os.Stat(filepath.Join(root, "config", "ssl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the default layout was written: %v", err)
	}
}

// serverCert completes a TLS handshake with addr and returns the
// server's leaf certificate.
func serverCert(addr string, conf *tls.Config) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := tls.Dialer{Config: conf}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0].Raw, nil
}

// TestNodeCertFileMissing checks that a certificate config.yaml places
// where there is none stops the node with an error naming the key and
// the path, and is not created there nor at the default place.
func TestNodeCertFileMissing(t *testing.T) {
	root := t.TempDir()
	writeConfig(t, root, `self_hostname: 127.0.0.1
daemon_ssl:
  private_crt: moved/private_daemon.crt
  private_key: moved/private_daemon.key
`)
	want := filepath.Join(root, "moved", "private_daemon.crt")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errBuf bytes.Buffer
	code := runContext(ctx, []string{"node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
		"--rpc-port", "0", "--daemon-port", "-1", "--root", root}, strings.NewReader(""), io.Discard, &errBuf)
	if errOut := errBuf.String(); code == 0 || !strings.Contains(errOut, "daemon_ssl.private_crt") || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant an error naming daemon_ssl.private_crt and %s", code, errOut, want)
	}
	_, errOut, code := chianetOut(t, "show", "--root", root, "--rpc-port", "1", "--timeout", "5s")
	if code == 0 || !strings.Contains(errOut, "daemon_ssl.private_crt") {
		t.Errorf("chianet show: exit %d, stderr:\n%s\nwant an error naming daemon_ssl.private_crt", code, errOut)
	}
	for _, p := range []string{filepath.Join(root, "moved"), filepath.Join(root, "config", "ssl", "daemon")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was created: %v", p, err)
		}
	}
}

// TestIntroducerCertFiles checks that the introducer takes its
// certificate from config.yaml's introducer.ssl: one placed where there is
// none stops it with an error naming the key, and nothing is created.
func TestIntroducerCertFiles(t *testing.T) {
	root := t.TempDir()
	gone := filepath.Join(t.TempDir(), "gone")
	crt, _ := json.Marshal(filepath.Join(gone, "public_introducer.crt"))
	key, _ := json.Marshal(filepath.Join(gone, "public_introducer.key"))
	writeConfig(t, root, "introducer:\n  ssl:\n    public_crt: "+string(crt)+"\n    public_key: "+string(key)+"\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errBuf bytes.Buffer
	code := runContext(ctx, []string{"introducer", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
		"--root", root}, strings.NewReader(""), io.Discard, &errBuf)
	if errOut := errBuf.String(); code == 0 || !strings.Contains(errOut, "introducer.ssl.public_crt") ||
		!strings.Contains(errOut, filepath.Join(gone, "public_introducer.crt")) {
		t.Errorf("exit %d, stderr:\n%s\nwant an error naming introducer.ssl.public_crt", code, errOut)
	}
	for _, p := range []string{gone, filepath.Join(root, "config", "ssl")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was created: %v", p, err)
		}
	}
}

// defaultCertFiles returns the certificate places of the template's
// config.yaml on root: the default layout's.
func defaultCertFiles(t *testing.T, root string) *chiatls.Files {
	t.Helper()
	file, err := config.Default(root)
	if err != nil {
		t.Fatal(err)
	}
	return certFiles(file)
}

// The template's certificate places are the default layout's, so a
// default root is unchanged. The template points introducer.ssl at the
// full node's public certificate; the introducer keeps its own instead,
// so that it does not share the node's id.
func TestDefaultCertFiles(t *testing.T) {
	root := t.TempDir()
	files := defaultCertFiles(t, root)
	plain, placed := chiatls.Tree{Root: root}, chiatls.Tree{Root: root, Files: files}
	for _, k := range []chiatls.Kind{chiatls.Private, chiatls.Public} {
		c1, k1 := plain.CAPaths(k)
		c2, k2 := placed.CAPaths(k)
		if c1 != c2 || k1 != k2 {
			t.Errorf("%s CA: %s %s, want %s %s", k, c2, k2, c1, k1)
		}
	}
	slots := []chiatls.Slot{{Service: chiatls.Introducer, Kind: chiatls.Public}}
	for slot := range files.Cert {
		slots = append(slots, slot)
	}
	for _, slot := range slots {
		c1, k1 := plain.CertPaths(slot.Service, slot.Kind)
		c2, k2 := placed.CertPaths(slot.Service, slot.Kind)
		if c1 != c2 || k1 != k2 {
			t.Errorf("%s %s: %s %s, want %s %s", slot.Kind, slot.Service, c2, k2, c1, k1)
		}
	}
}
