// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is the one CHIANET_TEST_POSTGRES names (a libpq key=value
// string or a postgres:// URL, as .ci/postgres.sh prints it). When the
// variable is unset:
//
//   - on a machine without a PostgreSQL server binary, the test is
//     skipped, saying so;
//   - in CI (CI=true), the test fails: CI must start the server;
//   - otherwise a private server is started once per test binary, in a
//     temporary directory, listening on a Unix socket only, and stopped
//     by Stop (call it from TestMain after m.Run).
//
// Each NewDatabase call creates a fresh database on that server and drops
// it when the test ends, so tests do not see each other's tables.
//
// It is for tests only; nothing outside _test.go files imports it.
package pgtest
