package chiatls

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// NodeID returns the Chia node id of cert: the SHA-256 of its DER
// encoding (the reference's calculate_node_id and peer_node_id).
func NodeID(cert *x509.Certificate) [32]byte { return sha256.Sum256(cert.Raw) }

// NodeIDFromDER returns the Chia node id of a DER-encoded certificate: its
// SHA-256.
func NodeIDFromDER(der []byte) [32]byte { return sha256.Sum256(der) }

// ErrNoCertificate is returned when a node id is asked of a TLS
// certificate or connection that has no certificate.
var ErrNoCertificate = errors.New("chiatls: no certificate")

// CertificateNodeID returns the node id of the leaf of c: the SHA-256 of
// c.Certificate[0] (the same bytes as c.Leaf.Raw when Leaf is set).
func CertificateNodeID(c *tls.Certificate) ([32]byte, error) {
	switch {
	case c == nil:
		return [32]byte{}, ErrNoCertificate
	case len(c.Certificate) > 0:
		return NodeIDFromDER(c.Certificate[0]), nil
	case c.Leaf != nil:
		return NodeID(c.Leaf), nil
	default:
		return [32]byte{}, ErrNoCertificate
	}
}

// PeerNodeID returns the node id of the remote side of a completed TLS
// connection: the SHA-256 of the DER of its leaf certificate. Both sides of
// a chianet connection see a peer certificate, because the server requires
// one.
func PeerNodeID(cs tls.ConnectionState) ([32]byte, error) {
	if len(cs.PeerCertificates) == 0 {
		return [32]byte{}, ErrNoCertificate
	}
	return NodeID(cs.PeerCertificates[0]), nil
}
