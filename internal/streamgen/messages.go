package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// messageListFile is the one list of message types of a package. When a
// package has it, gen_message_types.go is written from it: the
// MessageType constants, the id → name and id → payload type name tables
// and the id → new payload switch.
const messageListFile = "message_types.txt"

// messageSpec is one line of the message list.
type messageSpec struct {
	id      int    // the type byte, 0..255
	name    string // reference snake_case name
	goName  string // Go constant
	payload string // Go payload type
	note    string // extra words for the constant's doc comment
	line    int
}

var messageNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// loadMessages reads dir's message list. It returns nil and no error when
// the package has none.
func loadMessages(dir string, m *pkgModel) ([]messageSpec, error) {
	path := filepath.Join(dir, messageListFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []messageSpec
	ids := map[int]int{}
	names := map[string]int{}
	goNames := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		where := fmt.Sprintf("%s:%d", path, n)
		if len(f) < 4 {
			return nil, fmt.Errorf("%s: want id, name, constant and payload type, got %q", where, text)
		}
		id, err := strconv.Atoi(f[0])
		if err != nil || id < 0 || id > 255 {
			return nil, fmt.Errorf("%s: id %q is not a number from 0 to 255", where, f[0])
		}
		s := messageSpec{id: id, name: f[1], goName: f[2], payload: f[3], note: strings.Join(f[4:], " "), line: n}
		if !messageNameRE.MatchString(s.name) {
			return nil, fmt.Errorf("%s: name %q is not lower snake_case", where, s.name)
		}
		for _, id := range []string{s.goName, s.payload} {
			if !token.IsIdentifier(id) || !token.IsExported(id) {
				return nil, fmt.Errorf("%s: %q is not an exported Go identifier", where, id)
			}
		}
		if !m.declared[s.payload] {
			return nil, fmt.Errorf("%s: payload type %s is not declared in the package", where, s.payload)
		}
		if m.declared[s.goName] {
			return nil, fmt.Errorf("%s: constant %s collides with a type of the package", where, s.goName)
		}
		if prev, dup := ids[id]; dup {
			return nil, fmt.Errorf("%s: id %d already used on line %d", where, id, prev)
		}
		if prev, dup := names[s.name]; dup {
			return nil, fmt.Errorf("%s: name %s already used on line %d", where, s.name, prev)
		}
		if prev, dup := goNames[s.goName]; dup {
			return nil, fmt.Errorf("%s: constant %s already used on line %d", where, s.goName, prev)
		}
		if len(list) > 0 && id < list[len(list)-1].id {
			return nil, fmt.Errorf("%s: id %d is out of order (the list is sorted by id)", where, id)
		}
		ids[id], names[s.name], goNames[s.goName] = n, n, n
		list = append(list, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: no message types", path)
	}
	return list, nil
}

// generateMessages returns gen_message_types.go for the list.
func generateMessages(m *pkgModel, list []messageSpec) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\n", m.pkgName)
	fmt.Fprintf(&b, "// The message types, generated from %s. Each constant's\n", messageListFile)
	b.WriteString("// comment names the payload type its Message.data holds.\nconst (\n")
	for _, s := range list {
		fmt.Fprintf(&b, "\t// %s (%d, %s) carries %s.\n", s.goName, s.id, s.name, s.payload)
		for _, l := range wrapWords(s.note, 72) {
			fmt.Fprintf(&b, "\t// %s\n", l)
		}
		fmt.Fprintf(&b, "\t%s MessageType = %d\n", s.goName, s.id)
	}
	b.WriteString(")\n\n")
	b.WriteString("// messageTypeNames holds the reference snake_case name of every known\n// type, indexed by id; \"\" marks an unassigned id.\nvar messageTypeNames = [256]string{\n")
	for _, s := range list {
		fmt.Fprintf(&b, "\t%s: %q,\n", s.goName, s.name)
	}
	b.WriteString("}\n\n")
	b.WriteString("// payloadTypeNames holds the payload type name of every known message\n// type, indexed by id; \"\" marks an unassigned id.\nvar payloadTypeNames = [256]string{\n")
	for _, s := range list {
		fmt.Fprintf(&b, "\t%s: %q,\n", s.goName, s.payload)
	}
	b.WriteString("}\n\n")
	b.WriteString("// newPayload returns a new zero value of the payload type of t, or nil\n// for an unknown type.\nfunc newPayload(t MessageType) Value {\n\tswitch t {\n")
	for _, s := range list {
		fmt.Fprintf(&b, "\tcase %s:\n\t\treturn new(%s)\n", s.goName, s.payload)
	}
	b.WriteString("\t}\n\treturn nil\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated message types: %v\n%s", err, b.Bytes())
	}
	return src, nil
}

// wrapWords splits s into lines of at most width bytes at spaces (a
// longer word gets a line of its own).
func wrapWords(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(s) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
