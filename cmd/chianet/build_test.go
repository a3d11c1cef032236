package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// buildChianet builds the chianet binary into a temporary directory and
// returns its path.
func buildChianet(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chianet")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
