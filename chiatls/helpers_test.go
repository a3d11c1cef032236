package chiatls

import (
	"sync"
	"testing"
	"time"
)

// testNow is the fixed clock of every certificate made by the tests.
var testNow = time.Date(2026, time.March, 4, 5, 6, 7, 0, time.UTC)

// RSA-2048 key generation is slow (more so under -race), so the tests share
// a few CAs and node certificates, made once.
var (
	testPrivateCA = sync.OnceValues(func() (*KeyPair, error) { return NewPrivateCA(testNow) })
	testOtherCA   = sync.OnceValues(func() (*KeyPair, error) { return NewPrivateCA(testNow) })
	testPublicA   = sync.OnceValues(func() (*KeyPair, error) { return issueFrom(PublicCA) })
	testPublicB   = sync.OnceValues(func() (*KeyPair, error) { return issueFrom(PublicCA) })
	testPrivateA  = sync.OnceValues(func() (*KeyPair, error) { return issueFrom(testPrivateCA) })
	testForeign   = sync.OnceValues(func() (*KeyPair, error) { return issueFrom(testOtherCA) })
)

func issueFrom(ca func() (*KeyPair, error)) (*KeyPair, error) {
	c, err := ca()
	if err != nil {
		return nil, err
	}
	return c.IssueNodeCert(testNow)
}

func must(t *testing.T, f func() (*KeyPair, error)) *KeyPair {
	t.Helper()
	p, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
