package chiatls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ServerConfig returns a tls.Config for accepting Chia peer (or RPC)
// connections the way the reference's ssl_context_for_server does: TLS 1.3
// at least, cert presented, and a client certificate required and verified
// against roots. No hostname is checked (clients present the fixed
// "chia.net" name). Go's verification of the client accepts certificates
// without an ExtKeyUsage extension, as all of the reference's are.
//
// The returned Config is new; the caller may change it before use.
func ServerConfig(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    roots,
	}
}

// ClientConfig returns a tls.Config for dialling Chia peers the way the
// reference's ssl_context_for_client does, except that TLS 1.3 is the
// minimum (every reference server requires it): cert is always presented,
// whatever CA names the server asks for, and the server's chain is verified
// against roots with no hostname check. Go's own verification is turned
// off (InsecureSkipVerify) only because it cannot skip the hostname; the
// chain check is done in VerifyConnection (see VerifyChain), so a server
// whose certificate does not chain to roots fails the handshake.
//
// The returned Config is new; the caller may change it before use, but
// must keep VerifyConnection if InsecureSkipVerify stays set.
func ClientConfig(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // the chain is checked in VerifyConnection; there is no hostname to check.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := VerifyChain(cs.PeerCertificates, roots)
			return err
		},
	}
}

// VerifyChain checks that certs[0] chains to roots, using certs[1:] as
// intermediates, with no hostname check and any extended key usage allowed
// (the reference's certificates have no ExtKeyUsage extension). It returns
// the verified chains. Errors wrap the x509 error, so errors.As finds an
// x509.UnknownAuthorityError or x509.CertificateInvalidError.
func VerifyChain(certs []*x509.Certificate, roots *x509.CertPool) ([][]*x509.Certificate, error) {
	if len(certs) == 0 {
		return nil, errors.New("chiatls: peer presented no certificate")
	}
	if roots == nil {
		return nil, errors.New("chiatls: no CA pool to verify the peer against")
	}
	opts := x509.VerifyOptions{
		Roots:     roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	if len(certs) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, fmt.Errorf("chiatls: verifying peer certificate: %w", err)
	}
	return chains, nil
}
