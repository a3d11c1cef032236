package protocol_test

import (
	"crypto/sha256"
	"errors"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func asError[T error](err error, target *T) bool { return errors.As(err, target) }
