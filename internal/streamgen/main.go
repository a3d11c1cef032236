package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", ".", "package directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "streamgen:", err)
		os.Exit(1)
	}
}

// run generates every output file of dir and removes generated files that
// no longer have a source.
func run(dir string) error {
	out, err := generate(dir)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "gen_") || !strings.HasSuffix(n, ".go") {
			continue
		}
		if _, keep := out[n]; keep {
			continue
		}
		old, err := os.ReadFile(filepath.Join(dir, n))
		if err == nil && bytes.HasPrefix(old, []byte(header)) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	for n, src := range out {
		p := filepath.Join(dir, n)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, src) {
			continue
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generate returns the generated files of dir by name.
func generate(dir string) (map[string][]byte, error) {
	m, err := loadPackage(dir)
	if err != nil {
		return nil, err
	}
	if len(m.structs) == 0 {
		return nil, fmt.Errorf("%s: no types_*.go declarations found", dir)
	}
	byFile := map[string][]*structType{}
	for _, st := range m.structs {
		if st.file == "types_registry.go" || st.file == "types_message_types.go" {
			return nil, fmt.Errorf("%s: %s would collide with a generated table", st.pos, st.file)
		}
		byFile[st.file] = append(byFile[st.file], st)
	}
	out := map[string][]byte{}
	for file, structs := range byFile {
		src, err := generateFile(m, structs)
		if err != nil {
			return nil, err
		}
		out["gen_"+strings.TrimPrefix(file, "types_")] = src
	}
	reg, err := generateRegistry(m)
	if err != nil {
		return nil, err
	}
	out["gen_registry.go"] = reg
	msgs, err := loadMessages(dir, m)
	if err != nil {
		return nil, err
	}
	if msgs != nil {
		src, err := generateMessages(m, msgs)
		if err != nil {
			return nil, err
		}
		out["gen_message_types.go"] = src
	}
	return out, nil
}
