package chiatls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// FuzzParseKeyPair feeds arbitrary certificate and key files to the
// loader: it must not panic, and a pair it accepts must have a key that
// matches its leaf and must write out (as Tree writes pairs) to files
// that load back to the same certificates and key.
func FuzzParseKeyPair(f *testing.F) {
	crt, key := PublicCAPEM()
	f.Add(crt, key)
	p, err := ParseKeyPair(crt, key)
	if err != nil {
		f.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: pemPKCS1Key, Bytes: x509.MarshalPKCS1PrivateKey(p.Key.(*rsa.PrivateKey))})
	f.Add(crt, pkcs1)
	f.Add(append(append([]byte("junk\n"), crt...), crt...), append([]byte("-----BEGIN X-----\nAAAA\n-----END X-----\n"), key...))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	f.Add(crt, pem.EncodeToMemory(&pem.Block{Type: pemSEC1Key, Bytes: sec1}))
	f.Add(crt, pem.EncodeToMemory(&pem.Block{Type: pemPKCS1Key, Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}))
	f.Add(crt, pem.EncodeToMemory(&pem.Block{Type: pemEncryptedKey, Bytes: []byte{1}}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}), key)
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		p, err := ParseKeyPair(certPEM, keyPEM)
		if err != nil {
			return
		}
		if !keyMatches(p.Key, p.Cert) {
			t.Fatal("accepted a key that does not match the leaf")
		}
		outKey, err := encodeKeyPEM(p.Key)
		if err != nil {
			t.Fatalf("accepted key does not encode: %v", err)
		}
		back, err := ParseKeyPair(encodeCertsPEM(append([]*x509.Certificate{p.Cert}, p.Chain...)), outKey)
		if err != nil {
			t.Fatalf("written pair does not load: %v", err)
		}
		if !bytes.Equal(back.Cert.Raw, p.Cert.Raw) || len(back.Chain) != len(p.Chain) {
			t.Fatal("written pair loads different certificates")
		}
	})
}
