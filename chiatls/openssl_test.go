package chiatls

import (
	"bytes"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenSSLVerify checks the certificates with OpenSSL, the library the
// reference's Python uses: node certificates from the public chia CA and
// from a private CA must verify for both TLS purposes, and their subject
// must read CN, O, OU as UTF8Strings in that order.
func TestOpenSSLVerify(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH; this test compares with OpenSSL's own verifier")
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = t.TempDir()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chiaCA, _ := PublicCAPEM()
	privCA, _, err := must(t, testPrivateCA).MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		caPEM  []byte
		leaf   *KeyPair
		caName string
	}{
		{"public", chiaCA, must(t, testPublicA), "chia_ca.crt"},
		{"private", privCA, must(t, testPrivateA), "private_ca.crt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caFile := write(tc.caName, tc.caPEM)
			crtPEM, keyPEM, err := tc.leaf.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			node := write(tc.name+"_node.crt", crtPEM)
			key := write(tc.name+"_node.key", keyPEM)
			if out := run("verify", "-CAfile", caFile, node); !strings.Contains(out, ": OK") {
				t.Errorf("openssl verify: %s", out)
			}
			for _, purpose := range []string{"sslclient", "sslserver"} {
				if out := run("verify", "-purpose", purpose, "-CAfile", caFile, node); !strings.Contains(out, ": OK") {
					t.Errorf("openssl verify -purpose %s: %s", purpose, out)
				}
			}
			subject := run("x509", "-in", node, "-noout", "-subject", "-nameopt", "sep_comma_plus_space,show_type")
			if want := "CN=UTF8STRING:Chia, O=UTF8STRING:Chia, OU=UTF8STRING:Organic Farming Division"; !strings.Contains(subject, want) {
				t.Errorf("openssl subject %q, want %q", strings.TrimSpace(subject), want)
			}
			if out := run("rsa", "-in", key, "-check", "-noout"); !strings.Contains(out, "RSA key ok") {
				t.Errorf("openssl rsa -check: %s", out)
			}
		})
	}
	// And a certificate from another CA must not verify.
	other := write("other.crt", encodeCertsPEM([]*x509.Certificate{must(t, testForeign).Cert}))
	cmd := exec.Command(openssl, "verify", "-CAfile", filepath.Join(dir, "chia_ca.crt"), other)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("openssl verified a certificate from another CA: %s", out)
	}
}
