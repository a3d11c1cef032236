package chiatls

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	chialibtls "github.com/chia-network/go-chia-libs/pkg/tls"
)

// The fixed facts of the reference's certificates (chia/ssl/create_ssl.py).
const (
	// RSAKeyBits is the size of every RSA key the reference makes.
	RSAKeyBits = 2048
	// NodeDNSName is the single subjectAltName of every node certificate.
	NodeDNSName = "chia.net"
	// PrivateCAValidity is how long a new private CA is valid (3650 days).
	PrivateCAValidity = 3650 * 24 * time.Hour
)

// nodeNotAfter is the fixed end of validity of every node certificate the
// reference makes: 2100-08-02 00:00:00 UTC.
var nodeNotAfter = time.Date(2100, time.August, 2, 0, 0, 0, 0, time.UTC)

var (
	oidCommonName         = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOrganization       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrganizationalUnit = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidBasicConstraints   = asn1.ObjectIdentifier{2, 5, 29, 19}

	// basicConstraintsCA is BasicConstraints{cA: TRUE} with no path length,
	// DER as the reference writes it.
	basicConstraintsCA = []byte{0x30, 0x03, 0x01, 0x01, 0xff}
)

// attributeTypeAndValue is one X.501 attribute with a UTF8String value, the
// string type the reference (python cryptography) uses for CN, O and OU.
type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value string `asn1:"utf8"`
}

// rdnSET is a RelativeDistinguishedName; encoding/asn1 writes a slice type
// whose name ends in SET as a SET OF.
type rdnSET []attributeTypeAndValue

// rawName encodes a distinguished name with one attribute per RDN, in the
// order given. pkix.Name cannot be used: it reorders the attributes
// (…, O, OU, CN) and picks PrintableString.
func rawName(attrs ...attributeTypeAndValue) []byte {
	seq := make([]rdnSET, len(attrs))
	for i, a := range attrs {
		seq[i] = rdnSET{a}
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		panic("chiatls: encoding a fixed name: " + err.Error())
	}
	return der
}

var (
	// nodeSubject is CN=Chia, O=Chia, OU=Organic Farming Division.
	nodeSubject = rawName(
		attributeTypeAndValue{oidCommonName, "Chia"},
		attributeTypeAndValue{oidOrganization, "Chia"},
		attributeTypeAndValue{oidOrganizationalUnit, "Organic Farming Division"},
	)
	// caSubject is O=Chia, CN=Chia CA, OU=Organic Farming Division.
	caSubject = rawName(
		attributeTypeAndValue{oidOrganization, "Chia"},
		attributeTypeAndValue{oidCommonName, "Chia CA"},
		attributeTypeAndValue{oidOrganizationalUnit, "Organic Farming Division"},
	)
)

// KeyPair is a certificate together with its private key: a CA, or a
// node's identity. A KeyPair is not modified by this package after it is
// returned and may be shared between goroutines.
type KeyPair struct {
	// Cert is the leaf certificate.
	Cert *x509.Certificate
	// Chain holds any further certificates that followed the leaf in its
	// file; they are sent after the leaf in a TLS handshake. The reference
	// never writes any, so it is usually empty.
	Chain []*x509.Certificate
	// Key is the private key matching Cert's public key. Every key the
	// reference makes is an *rsa.PrivateKey.
	Key crypto.Signer
}

// TLSCertificate returns p as a tls.Certificate with Leaf set.
func (p *KeyPair) TLSCertificate() tls.Certificate {
	der := make([][]byte, 0, 1+len(p.Chain))
	der = append(der, p.Cert.Raw)
	for _, c := range p.Chain {
		der = append(der, c.Raw)
	}
	return tls.Certificate{Certificate: der, PrivateKey: p.Key, Leaf: p.Cert}
}

// NodeID returns the node id of p's certificate: the SHA-256 of its DER
// encoding.
func (p *KeyPair) NodeID() [32]byte { return NodeID(p.Cert) }

// MarshalPEM returns the certificate (followed by Chain) as PEM
// "CERTIFICATE" blocks and the key as a PEM "PRIVATE KEY" block (PKCS#8,
// unencrypted), the forms the reference writes.
func (p *KeyPair) MarshalPEM() (certPEM, keyPEM []byte, err error) {
	certPEM = encodeCertsPEM(append([]*x509.Certificate{p.Cert}, p.Chain...))
	keyPEM, err = encodeKeyPEM(p.Key)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// PublicCAPEM returns the public chia CA certificate and private key as
// the reference ships them, PEM encoded. They come from
// github.com/chia-network/go-chia-libs/pkg/tls (GetChiaCACertAndKey). The
// returned slices are copies.
func PublicCAPEM() (certPEM, keyPEM []byte) {
	crt, key := chialibtls.GetChiaCACertAndKey()
	return bytes.Clone(crt), bytes.Clone(key)
}

// PublicCA returns the public chia CA as the reference ships it (see
// PublicCAPEM). Tree.LoadCA(Public) prefers an install's own
// ca/chia_ca.{crt,key} when they exist.
func PublicCA() (*KeyPair, error) {
	crt, key := PublicCAPEM()
	p, err := ParseKeyPair(crt, key)
	if err != nil {
		return nil, fmt.Errorf("chiatls: the bundled chia CA: %w", err)
	}
	return p, nil
}

// ParseKeyPair parses a PEM certificate file (one or more "CERTIFICATE"
// blocks, the first being the leaf) and a PEM key file ("PRIVATE KEY"
// PKCS#8, "RSA PRIVATE KEY" PKCS#1 or "EC PRIVATE KEY"), and checks that
// the key matches the leaf.
func ParseKeyPair(certPEM, keyPEM []byte) (*KeyPair, error) {
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	if !keyMatches(key, certs[0]) {
		return nil, ErrKeyMismatch
	}
	return &KeyPair{Cert: certs[0], Chain: certs[1:], Key: key}, nil
}

// ErrKeyMismatch is returned when a private key does not belong to the
// certificate it is paired with.
var ErrKeyMismatch = errors.New("chiatls: private key does not match certificate")

func keyMatches(key crypto.Signer, cert *x509.Certificate) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// NewPrivateCA makes a new private CA the way the reference's make_ca_cert
// does: an RSA-2048 key, subject = issuer = O=Chia, CN=Chia CA,
// OU=Organic Farming Division (UTF8String, in that order), a random
// positive serial of up to 159 bits, valid from now for 3650 days, one
// extension BasicConstraints CA:TRUE (critical), signed with SHA-256.
func NewPrivateCA(now time.Time) (*KeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, RSAKeyBits)
	if err != nil {
		return nil, fmt.Errorf("chiatls: generating CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		RawSubject:         caSubject,
		NotBefore:          now,
		NotAfter:           now.Add(PrivateCAValidity),
		SignatureAlgorithm: x509.SHA256WithRSA,
		// BasicConstraints goes in as a raw extension so that
		// CreateCertificate does not add a SubjectKeyId, which it does for
		// every template with IsCA set; the reference adds none.
		ExtraExtensions: []pkix.Extension{{Id: oidBasicConstraints, Critical: true, Value: basicConstraintsCA}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("chiatls: creating CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("chiatls: parsing new CA certificate: %w", err)
	}
	return &KeyPair{Cert: cert, Key: key}, nil
}

// IssueNodeCert makes a node certificate signed by ca, the way the
// reference's generate_ca_signed_cert does: an RSA-2048 key (e=65537),
// subject CN=Chia, O=Chia, OU=Organic Farming Division (UTF8String, in
// that order), issuer = the CA's subject, a random positive serial of up
// to 159 bits, valid from now minus one day to 2100-08-02 00:00:00 UTC,
// one extension subjectAltName DNS:chia.net (not critical), and no
// BasicConstraints, KeyUsage, ExtKeyUsage or key identifiers; signed with
// SHA-256. ca.Key must be an RSA key for the signature to be
// SHA256WithRSA, as the reference's always is.
func (ca *KeyPair) IssueNodeCert(now time.Time) (*KeyPair, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, errors.New("chiatls: IssueNodeCert needs a CA certificate and key")
	}
	if !keyMatches(ca.Key, ca.Cert) {
		return nil, ErrKeyMismatch
	}
	key, err := rsa.GenerateKey(rand.Reader, RSAKeyBits)
	if err != nil {
		return nil, fmt.Errorf("chiatls: generating node key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		RawSubject:   nodeSubject,
		NotBefore:    now.UTC().Add(-24 * time.Hour),
		NotAfter:     nodeNotAfter,
		DNSNames:     []string{NodeDNSName},
	}
	if _, ok := ca.Key.(*rsa.PrivateKey); ok {
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	}
	// CreateCertificate adds an AuthorityKeyId when the parent has a
	// SubjectKeyId (the public chia CA has one); the reference's node
	// certificates carry no such extension, so hide it from the parent.
	parent := *ca.Cert
	parent.SubjectKeyId = nil
	der, err := x509.CreateCertificate(rand.Reader, tmpl, &parent, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("chiatls: creating node certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("chiatls: parsing new node certificate: %w", err)
	}
	return &KeyPair{Cert: cert, Key: key}, nil
}

// serialLimit is 2^159: the reference's x509.random_serial_number() is 20
// random bytes shifted right by one bit.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 159)

func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return nil, fmt.Errorf("chiatls: generating serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}
