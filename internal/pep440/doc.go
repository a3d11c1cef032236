// Package pep440 checks and orders version strings as the Python
// "packaging" library does (PEP 440), which the reference applies to
// Handshake.protocol_version: a version it cannot parse fails the
// handshake, and the version decides whether a peer gets Error replies.
//
// Only what chianet needs is here: Valid, and ordering against a plain
// release (AtLeast).
package pep440
