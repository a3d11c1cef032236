// Command chianet is the chianet command-line tool: one binary, one
// subcommand per job. The commands are thin: they turn flags into calls of
// the library packages.
package main
