package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// newRoot makes a root directory holding data as config/config.yaml.
func newRoot(t *testing.T, data []byte) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(FilePath(root), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustLoad(t *testing.T, root string) *Config {
	t.Helper()
	c, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readConfig(t *testing.T, root string) []byte {
	t.Helper()
	b, err := os.ReadFile(FilePath(root))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// generic decodes a YAML file as plain data, the way a loader that knows
// no keys sees it.
func generic(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at returns the value at a dotted path of generic data.
func at(t *testing.T, m map[string]any, path string) any {
	t.Helper()
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not in a mapping", path, k)
		}
		v, ok = mm[k]
		if !ok {
			t.Fatalf("%s: no key %q", path, k)
		}
	}
	return v
}

// fieldErrors flattens a joined error into its FieldErrors.
func fieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	walk(err)
	return out
}

// replaceAfter replaces the first old after the first marker in s, and
// fails if either is missing.
func replaceAfter(t *testing.T, s, marker, old, new string) string {
	t.Helper()
	i := strings.Index(s, marker)
	if i < 0 {
		t.Fatalf("marker %q not found", marker)
	}
	j := strings.Index(s[i:], old)
	if j < 0 {
		t.Fatalf("%q not found after %q", old, marker)
	}
	j += i
	return s[:j] + new + s[j+len(old):]
}
