package chiatls

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"testing"
	"time"
)

var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	wantOU            = "Organic Farming Division"
)

type wantAttr struct {
	oid   asn1.ObjectIdentifier
	value string
}

// checkName checks that a DER Name has one attribute per RDN, in the given
// order, each a UTF8String.
func checkName(t *testing.T, what string, der []byte, want ...wantAttr) {
	t.Helper()
	var seq []asn1.RawValue // SET OF per RDN
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) != 0 {
		t.Fatalf("%s: not a Name: %v", what, err)
	}
	if len(seq) != len(want) {
		t.Fatalf("%s: %d RDNs, want %d", what, len(seq), len(want))
	}
	for i, set := range seq {
		var atvs []struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}
		if _, err := asn1.UnmarshalWithParams(set.FullBytes, &atvs, "set"); err != nil {
			t.Fatalf("%s: RDN %d: %v", what, i, err)
		}
		if len(atvs) != 1 {
			t.Fatalf("%s: RDN %d has %d attributes", what, i, len(atvs))
		}
		a := atvs[0]
		if !a.Type.Equal(want[i].oid) || string(a.Value.Bytes) != want[i].value {
			t.Errorf("%s: RDN %d = %v %q, want %v %q", what, i, a.Type, a.Value.Bytes, want[i].oid, want[i].value)
		}
		if a.Value.Tag != asn1.TagUTF8String {
			t.Errorf("%s: RDN %d has string tag %d, want UTF8String", what, i, a.Value.Tag)
		}
	}
}

func checkRSA2048(t *testing.T, what string, c *x509.Certificate) {
	t.Helper()
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("%s: public key is %T, want RSA", what, c.PublicKey)
	}
	if pub.N.BitLen() != 2048 || pub.E != 65537 {
		t.Errorf("%s: RSA %d bits e=%d, want 2048 e=65537", what, pub.N.BitLen(), pub.E)
	}
	if c.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("%s: signature %v, want SHA256-RSA", what, c.SignatureAlgorithm)
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 159 {
		t.Errorf("%s: serial %v is not positive and at most 159 bits", what, c.SerialNumber)
	}
}

func checkNodeCert(t *testing.T, leaf *KeyPair, ca *x509.Certificate, now time.Time) {
	t.Helper()
	c := leaf.Cert
	checkName(t, "subject", c.RawSubject,
		wantAttr{oidCommonName, "Chia"}, wantAttr{oidOrganization, "Chia"}, wantAttr{oidOrganizationalUnit, wantOU})
	if !bytes.Equal(c.RawIssuer, ca.RawSubject) {
		t.Errorf("issuer %q is not the CA's subject %q", c.Issuer, ca.Subject)
	}
	if !c.NotAfter.Equal(time.Date(2100, 8, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("NotAfter = %v, want 2100-08-02 00:00:00 UTC", c.NotAfter)
	}
	if want := now.Add(-24 * time.Hour).Truncate(time.Second); !c.NotBefore.Equal(want) {
		t.Errorf("NotBefore = %v, want %v", c.NotBefore, want)
	}
	if len(c.Extensions) != 1 {
		t.Fatalf("%d extensions %v, want only subjectAltName", len(c.Extensions), c.Extensions)
	}
	if e := c.Extensions[0]; !e.Id.Equal(oidSubjectAltName) || e.Critical {
		t.Errorf("extension %v critical=%v, want non-critical subjectAltName", e.Id, e.Critical)
	}
	if len(c.DNSNames) != 1 || c.DNSNames[0] != "chia.net" || len(c.IPAddresses)+len(c.EmailAddresses)+len(c.URIs) != 0 {
		t.Errorf("SAN = %v %v %v %v, want DNS:chia.net only", c.DNSNames, c.IPAddresses, c.EmailAddresses, c.URIs)
	}
	if c.BasicConstraintsValid || c.IsCA || c.KeyUsage != 0 || len(c.ExtKeyUsage)+len(c.UnknownExtKeyUsage) != 0 ||
		c.SubjectKeyId != nil || c.AuthorityKeyId != nil {
		t.Errorf("unexpected constraints/usages/key ids: bc=%v ca=%v ku=%v eku=%v skid=%x akid=%x",
			c.BasicConstraintsValid, c.IsCA, c.KeyUsage, c.ExtKeyUsage, c.SubjectKeyId, c.AuthorityKeyId)
	}
	checkRSA2048(t, "node", c)
	if err := c.CheckSignatureFrom(ca); err != nil {
		t.Errorf("not signed by the CA: %v", err)
	}
	if !keyMatches(leaf.Key, c) {
		t.Error("key does not match the certificate")
	}
}

func TestNodeCertFieldsPrivateCA(t *testing.T) {
	ca := must(t, testPrivateCA)
	checkNodeCert(t, must(t, testPrivateA), ca.Cert, testNow)
}

func TestNodeCertFieldsPublicCA(t *testing.T) {
	// The public chia CA has a SubjectKeyId; the node certificate must
	// still not gain an AuthorityKeyId.
	ca, err := PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Cert.SubjectKeyId) == 0 {
		t.Log("note: the bundled chia CA has no SubjectKeyId")
	}
	checkNodeCert(t, must(t, testPublicA), ca.Cert, testNow)
}

func TestPrivateCAFields(t *testing.T) {
	ca := must(t, testPrivateCA)
	c := ca.Cert
	want := []wantAttr{{oidOrganization, "Chia"}, {oidCommonName, "Chia CA"}, {oidOrganizationalUnit, wantOU}}
	checkName(t, "subject", c.RawSubject, want...)
	checkName(t, "issuer", c.RawIssuer, want...)
	if !c.NotBefore.Equal(testNow) || !c.NotAfter.Equal(testNow.Add(3650*24*time.Hour)) {
		t.Errorf("validity %v – %v, want %v + 3650 days", c.NotBefore, c.NotAfter, testNow)
	}
	if len(c.Extensions) != 1 {
		t.Fatalf("%d extensions %v, want only basicConstraints", len(c.Extensions), c.Extensions)
	}
	if e := c.Extensions[0]; !e.Id.Equal(oidBasicConstraints) || !e.Critical {
		t.Errorf("extension %v critical=%v, want critical basicConstraints", e.Id, e.Critical)
	}
	if !c.BasicConstraintsValid || !c.IsCA || c.MaxPathLen != -1 {
		t.Errorf("bc=%v ca=%v maxpath=%d, want CA:TRUE without path length", c.BasicConstraintsValid, c.IsCA, c.MaxPathLen)
	}
	checkRSA2048(t, "CA", c)
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
}

func TestPublicCABundled(t *testing.T) {
	ca, err := PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	c := ca.Cert
	checkName(t, "subject", c.RawSubject,
		wantAttr{oidOrganization, "Chia"}, wantAttr{oidCommonName, "Chia CA"}, wantAttr{oidOrganizationalUnit, wantOU})
	if !c.IsCA || !bytes.Equal(c.RawIssuer, c.RawSubject) {
		t.Errorf("bundled chia CA: IsCA=%v, issuer %v, subject %v", c.IsCA, c.Issuer, c.Subject)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("bundled chia CA is not self-signed: %v", err)
	}
	// PublicCAPEM hands out copies.
	crt, key := PublicCAPEM()
	crt[len(crt)/2] ^= 0xff
	key[len(key)/2] ^= 0xff
	if _, err := PublicCA(); err != nil {
		t.Fatalf("PublicCA after mutating a copy: %v", err)
	}
}

func TestParseKeyPair(t *testing.T) {
	leaf := must(t, testPrivateA)
	other := must(t, testForeign)
	crtPEM, keyPEM, err := leaf.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Fatalf("key written as %v, want PRIVATE KEY (PKCS#8)", b)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(leaf.Key.(*rsa.PrivateKey))})
	_, otherKey, _ := other.MarshalPEM()
	chain := append(append([]byte("junk before\n"), crtPEM...), encodeCertsPEM([]*x509.Certificate{must(t, testPrivateCA).Cert})...)

	for _, tc := range []struct {
		name     string
		crt, key []byte
		wantErr  error
		chainLen int
	}{
		{name: "pkcs8", crt: crtPEM, key: keyPEM},
		{name: "pkcs1", crt: crtPEM, key: pkcs1},
		{name: "with chain and junk", crt: chain, key: keyPEM, chainLen: 1},
		{name: "mismatch", crt: crtPEM, key: otherKey, wantErr: ErrKeyMismatch},
		{name: "no cert", crt: keyPEM, key: keyPEM, wantErr: errAny},
		{name: "no key", crt: crtPEM, key: crtPEM, wantErr: errAny},
		{name: "encrypted", crt: crtPEM, key: pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), wantErr: errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseKeyPair(tc.crt, tc.key)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr == nil:
				if !bytes.Equal(p.Cert.Raw, leaf.Cert.Raw) || len(p.Chain) != tc.chainLen {
					t.Errorf("parsed a different certificate or chain of %d", len(p.Chain))
				}
			case err == nil:
				t.Fatal("no error")
			case tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestNodeID(t *testing.T) {
	leaf := must(t, testPublicA)
	want := sha256.Sum256(leaf.Cert.Raw)
	if got := NodeID(leaf.Cert); got != want {
		t.Errorf("NodeID = %x, want %x", got, want)
	}
	if got := NodeIDFromDER(leaf.Cert.Raw); got != want {
		t.Errorf("NodeIDFromDER = %x, want %x", got, want)
	}
	if got := leaf.NodeID(); got != want {
		t.Errorf("KeyPair.NodeID = %x, want %x", got, want)
	}
	tc := leaf.TLSCertificate()
	if got, err := CertificateNodeID(&tc); err != nil || got != want {
		t.Errorf("CertificateNodeID = %x, %v; want %x", got, err, want)
	}
	tc.Certificate = nil // falls back to Leaf
	if got, err := CertificateNodeID(&tc); err != nil || got != want {
		t.Errorf("CertificateNodeID(Leaf only) = %x, %v; want %x", got, err, want)
	}
	tc.Leaf = nil
	if _, err := CertificateNodeID(&tc); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("CertificateNodeID(empty) error %v, want ErrNoCertificate", err)
	}
}

// TestVerifyWithoutEKU checks that Go's verifier takes the reference's
// certificates, which have no ExtKeyUsage, for any purpose.
func TestVerifyWithoutEKU(t *testing.T) {
	ca, err := PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	leaf := must(t, testPublicA)
	for _, u := range []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageAny} {
		if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
			t.Errorf("usage %v: %v", u, err)
		}
	}
	if _, err := VerifyChain([]*x509.Certificate{leaf.Cert}, pool); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	foreign := must(t, testForeign)
	var ua x509.UnknownAuthorityError
	if _, err := VerifyChain([]*x509.Certificate{foreign.Cert}, pool); !errors.As(err, &ua) {
		t.Errorf("VerifyChain(foreign) = %v, want UnknownAuthorityError", err)
	}
	if _, err := VerifyChain(nil, pool); err == nil {
		t.Error("VerifyChain(no certs) succeeded")
	}
	if _, err := VerifyChain([]*x509.Certificate{leaf.Cert}, nil); err == nil {
		t.Error("VerifyChain(nil pool) succeeded")
	}
}
