package chiatls

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEM block types read and written by this package.
const (
	pemCertificate   = "CERTIFICATE"
	pemPKCS8Key      = "PRIVATE KEY"
	pemPKCS1Key      = "RSA PRIVATE KEY"
	pemSEC1Key       = "EC PRIVATE KEY"
	pemEncryptedKey  = "ENCRYPTED PRIVATE KEY"
	maxPEMFileLength = 1 << 20
)

// ParseCertificatesPEM parses every "CERTIFICATE" block in data, in order.
// Other block types (and text between blocks) are skipped, as OpenSSL
// does. It fails if there is no certificate.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != pemCertificate {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("chiatls: parsing certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("chiatls: no PEM CERTIFICATE block found")
	}
	return certs, nil
}

// ParsePrivateKeyPEM parses the first private key block in data: "PRIVATE
// KEY" (PKCS#8, what the reference writes today), "RSA PRIVATE KEY"
// (PKCS#1, what older reference versions wrote) or "EC PRIVATE KEY"
// (SEC 1). Other block types are skipped. Encrypted keys are refused: the
// reference never encrypts them.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("chiatls: no PEM private key block found")
		}
		var (
			k   any
			err error
		)
		switch b.Type {
		case pemPKCS8Key:
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case pemPKCS1Key:
			if _, encrypted := b.Headers["Proc-Type"]; encrypted {
				return nil, errors.New("chiatls: encrypted private keys are not supported")
			}
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case pemSEC1Key:
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case pemEncryptedKey:
			return nil, errors.New("chiatls: encrypted private keys are not supported")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("chiatls: parsing %s: %w", b.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("chiatls: unsupported private key type %T", k)
		}
		return s, nil
	}
}

func encodeCertsPEM(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: c.Raw})...)
	}
	return out
}

func encodeKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("chiatls: encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPKCS8Key, Bytes: der}), nil
}
