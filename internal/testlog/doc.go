// Package testlog gives tests a logger that writes to the test's own log,
// so a failing test shows what its nodes said and a passing one stays
// quiet.
package testlog
