package config

import (
	"bytes"
	"reflect"
	"slices"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// patch applies edits to the bytes of a file, each replacing the scalar or
// alias token at its position. It reports false when a token cannot be
// delimited with certainty (a block scalar, a quoted or plain scalar over
// several lines), and the caller writes the file from its tree instead.
func patch(raw []byte, edits []edit) ([]byte, bool) {
	lineStart := []int{0}
	for i, b := range raw {
		if b == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	type span struct {
		start, end int
		text       string
	}
	spans := make([]span, 0, len(edits))
	for _, e := range edits {
		if e.line < 1 || e.line > len(lineStart) || e.col < 1 {
			return nil, false
		}
		off := lineStart[e.line-1]
		for range e.col - 1 {
			if off >= len(raw) || raw[off] == '\n' {
				return nil, false
			}
			_, size := utf8.DecodeRune(raw[off:])
			off += size
		}
		start, end, ok := tokenAt(raw, off)
		if !ok {
			return nil, false
		}
		spans = append(spans, span{start, end, e.text})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out bytes.Buffer
	out.Grow(len(raw) + 64)
	prev := 0
	for _, s := range spans {
		if s.start < prev {
			return nil, false
		}
		out.Write(raw[prev:s.start])
		out.WriteString(s.text)
		prev = s.end
	}
	out.Write(raw[prev:])
	return out.Bytes(), true
}

// tokenAt returns the extent of the scalar or alias token of the node that
// starts at off, after its anchor and tag if it has them.
func tokenAt(raw []byte, off int) (start, end int, ok bool) {
	i := off
	for i < len(raw) && (raw[i] == '&' || raw[i] == '!') {
		for i < len(raw) && !isBlank(raw[i]) {
			i++
		}
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t') {
			i++
		}
	}
	if i >= len(raw) || raw[i] == '\n' || raw[i] == '\r' {
		return 0, 0, false
	}
	start = i
	switch raw[i] {
	case '"':
		for i++; i < len(raw); i++ {
			switch raw[i] {
			case '\\':
				i++
			case '"':
				return start, i + 1, true
			case '\n':
				return 0, 0, false
			}
		}
		return 0, 0, false
	case '\'':
		for i++; i < len(raw); i++ {
			switch raw[i] {
			case '\'':
				if i+1 < len(raw) && raw[i+1] == '\'' {
					i++
					continue
				}
				return start, i + 1, true
			case '\n':
				return 0, 0, false
			}
		}
		return 0, 0, false
	case '|', '>':
		return 0, 0, false
	case '*':
		for i++; i < len(raw) && !isBlank(raw[i]) && !bytes.ContainsRune([]byte(",]}"), rune(raw[i])); i++ {
		}
		return start, i, true
	default:
		// A plain scalar: it ends at a comment or the end of the line.
		// One inside a flow collection or continued on the next line is
		// delimited wrongly here, and sameAs then sends the caller to
		// write the file from its tree.
		end = start
		for end < len(raw) && raw[end] != '\n' && raw[end] != '\r' {
			if raw[end] == '#' && end > start && isBlank(raw[end-1]) {
				break
			}
			end++
		}
		for end > start && isBlank(raw[end-1]) {
			end--
		}
		return start, end, true
	}
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// sameAs reports whether raw parses to the same data as the tree doc. It
// guards every write: a patch or an encoding that would change anything
// but what was meant is never written.
func sameAs(raw []byte, doc *yaml.Node) bool {
	var got yaml.Node
	if err := yaml.Unmarshal(raw, &got); err != nil {
		return false
	}
	var a, b any
	if err := got.Decode(&a); err != nil {
		return false
	}
	if err := doc.Decode(&b); err != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
