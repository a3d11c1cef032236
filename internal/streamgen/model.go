package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// kindOf enumerates the field kinds the generator understands. Anything
// else stops generation with an error naming the field.
type kindOf int

const (
	kUint kindOf = iota // uint8..uint64
	kInt                // int8..int64
	kBool
	kString
	kBytes  // []byte, u32-length-prefixed
	kU128   // streamable.Uint128
	kFixed  // named [N]byte type
	kArray  // [N]<int> fixed array
	kOption // *T
	kList   // []T
	kStruct // a generated struct (or custom-binary struct)
	kManual // a hand-written leaf type
)

// typ is a resolved field type.
type typ struct {
	kind   kindOf
	bits   int    // integer width for kUint/kInt
	n      int    // byte length (kFixed) or element count (kArray)
	name   string // Go type expression as written
	elem   *typ   // element for kOption, kList, kArray
	minLen int    // smallest encoding in bytes
}

// field is one struct field.
type field struct {
	goName   string
	wireName string
	t        *typ
	pos      token.Position
}

// structType is one wire struct.
type structType struct {
	name         string
	file         string // base name of the source file
	fields       []field
	tuple        bool
	customBinary bool
	rustBytes    bool // JSON of empty bytes fields as chia_rs writes it
	minLen       int  // from the directive for custom-binary types
	pos          token.Position
}

// pkgModel is everything the generator learnt from one package.
type pkgModel struct {
	pkgName string
	structs []*structType
	byName  map[string]*structType
	manual  map[string]int // hand-written leaf type -> min size
	fixed   map[string]int // named [N]byte type -> N
	// declared holds every type the package declares outside tests and
	// generated files.
	declared map[string]bool
}

var directiveRE = regexp.MustCompile(`^//streamgen:([a-z-]+)(.*)$`)

type directives struct {
	tuple, customBinary, manual, rustBytes bool
	minLen                                 int
	hasMin                                 bool
}

func parseDirectives(groups ...*ast.CommentGroup) (directives, error) {
	var d directives
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, c := range g.List {
			m := directiveRE.FindStringSubmatch(c.Text)
			if m == nil {
				continue
			}
			switch m[1] {
			case "tuple":
				d.tuple = true
			case "custom-binary":
				d.customBinary = true
			case "manual":
				d.manual = true
			case "rust-bytes":
				d.rustBytes = true
			default:
				return d, fmt.Errorf("unknown directive //streamgen:%s", m[1])
			}
			for _, arg := range strings.Fields(m[2]) {
				k, v, ok := strings.Cut(arg, "=")
				if !ok || k != "minsize" {
					return d, fmt.Errorf("unknown directive argument %q", arg)
				}
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return d, fmt.Errorf("bad minsize %q", v)
				}
				d.minLen, d.hasMin = n, true
			}
		}
	}
	return d, nil
}

// isTypesFile reports whether a file holds wire struct declarations.
func isTypesFile(name string) bool {
	return strings.HasPrefix(name, "types_") && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// loadPackage parses the Go files of dir (not tests, not generated files)
// and builds the model.
func loadPackage(dir string) (*pkgModel, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	m := &pkgModel{byName: map[string]*structType{}, manual: map[string]int{}, fixed: map[string]int{}, declared: map[string]bool{}}
	type pending struct {
		spec *ast.TypeSpec
		st   *structType
	}
	var todo []pending
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, "gen_") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if m.pkgName == "" {
			m.pkgName = f.Name.Name
		}
		wire := isTypesFile(n)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				if wire {
					return nil, fmt.Errorf("%s: only type declarations may appear in %s", fset.Position(decl.Pos()), n)
				}
				continue
			}
			if gd.Tok != token.TYPE {
				if wire && gd.Tok != token.IMPORT {
					return nil, fmt.Errorf("%s: only type declarations may appear in %s", fset.Position(gd.Pos()), n)
				}
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				m.declared[ts.Name.Name] = true
				docs := []*ast.CommentGroup{ts.Doc}
				if len(gd.Specs) == 1 {
					docs = append(docs, gd.Doc)
				}
				d, err := parseDirectives(docs...)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %v", fset.Position(ts.Pos()), ts.Name.Name, err)
				}
				pos := fset.Position(ts.Pos())
				if d.manual {
					if wire {
						return nil, fmt.Errorf("%s: %s: manual types belong outside types_*.go", pos, ts.Name.Name)
					}
					if !d.hasMin {
						return nil, fmt.Errorf("%s: %s: //streamgen:manual needs minsize=N", pos, ts.Name.Name)
					}
					m.manual[ts.Name.Name] = d.minLen
					continue
				}
				if at, ok := ts.Type.(*ast.ArrayType); ok && at.Len != nil && !wire {
					if id, ok := at.Elt.(*ast.Ident); ok && (id.Name == "byte" || id.Name == "uint8") {
						n, err := arrayLen(at)
						if err != nil {
							return nil, fmt.Errorf("%s: %s: %v", pos, ts.Name.Name, err)
						}
						m.fixed[ts.Name.Name] = n
					}
					continue
				}
				if !wire {
					continue
				}
				stt, ok := ts.Type.(*ast.StructType)
				if !ok {
					return nil, fmt.Errorf("%s: %s: types_*.go may only declare struct types", pos, ts.Name.Name)
				}
				if ts.TypeParams != nil {
					return nil, fmt.Errorf("%s: %s: generic types are not supported", pos, ts.Name.Name)
				}
				if d.customBinary && !d.hasMin {
					return nil, fmt.Errorf("%s: %s: //streamgen:custom-binary needs minsize=N", pos, ts.Name.Name)
				}
				if d.tuple && d.customBinary {
					return nil, fmt.Errorf("%s: %s: a tuple cannot be custom-binary", pos, ts.Name.Name)
				}
				st := &structType{name: ts.Name.Name, file: n, tuple: d.tuple, customBinary: d.customBinary,
					rustBytes: d.rustBytes, minLen: d.minLen, pos: pos}
				if _, dup := m.byName[st.name]; dup {
					return nil, fmt.Errorf("%s: %s declared twice", pos, st.name)
				}
				m.byName[st.name] = st
				m.structs = append(m.structs, st)
				todo = append(todo, pending{ts, st})
				_ = stt
			}
		}
	}
	// Resolve fields once every declared name is known.
	for _, p := range todo {
		stt := p.spec.Type.(*ast.StructType)
		seen := map[string]bool{}
		for _, f := range stt.Fields.List {
			pos := fset.Position(f.Pos())
			if len(f.Names) != 1 {
				return nil, fmt.Errorf("%s: %s: declare exactly one field per line (embedded fields are not supported)", pos, p.st.name)
			}
			goName := f.Names[0].Name
			if !ast.IsExported(goName) {
				return nil, fmt.Errorf("%s: %s.%s: fields must be exported", pos, p.st.name, goName)
			}
			wire, err := jsonTag(f.Tag)
			if err != nil {
				return nil, fmt.Errorf("%s: %s.%s: %v", pos, p.st.name, goName, err)
			}
			if seen[wire] {
				return nil, fmt.Errorf("%s: %s: wire name %q used twice", pos, p.st.name, wire)
			}
			seen[wire] = true
			t, err := m.resolve(f.Type)
			if err != nil {
				return nil, fmt.Errorf("%s: %s.%s: %v", pos, p.st.name, goName, err)
			}
			p.st.fields = append(p.st.fields, field{goName: goName, wireName: wire, t: t, pos: pos})
		}
	}
	if err := m.computeSizes(); err != nil {
		return nil, err
	}
	return m, nil
}

func arrayLen(at *ast.ArrayType) (int, error) {
	lit, ok := at.Len.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, fmt.Errorf("array length must be an integer literal")
	}
	n, err := strconv.Atoi(lit.Value)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad array length %s", lit.Value)
	}
	return n, nil
}

func jsonTag(tag *ast.BasicLit) (string, error) {
	if tag == nil {
		return "", fmt.Errorf(`missing json:"name" tag`)
	}
	raw, err := strconv.Unquote(tag.Value)
	if err != nil {
		return "", err
	}
	for _, part := range strings.Fields(raw) {
		k, v, ok := strings.Cut(part, ":")
		if !ok || k != "json" {
			continue
		}
		name, err := strconv.Unquote(v)
		if err != nil {
			return "", err
		}
		name, opts, _ := strings.Cut(name, ",")
		if opts != "" {
			return "", fmt.Errorf("json tag options are not supported (%q)", opts)
		}
		if name == "" || name == "-" {
			return "", fmt.Errorf("json tag must name the field")
		}
		return name, nil
	}
	return "", fmt.Errorf(`missing json:"name" tag`)
}

var intBits = map[string]int{"uint8": 8, "byte": 8, "uint16": 16, "uint32": 32, "uint64": 64, "int8": 8, "int16": 16, "int32": 32, "int64": 64}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + exprString(e.Elt)
		}
		return "[" + exprString(e.Len) + "]" + exprString(e.Elt)
	case *ast.BasicLit:
		return e.Value
	}
	return fmt.Sprintf("%T", e)
}

// resolve maps a field's type expression to a typ, or fails on anything
// the generator does not understand.
func (m *pkgModel) resolve(e ast.Expr) (*typ, error) {
	name := exprString(e)
	switch e := e.(type) {
	case *ast.Ident:
		if b, ok := intBits[e.Name]; ok {
			k := kUint
			if strings.HasPrefix(e.Name, "int") {
				k = kInt
			}
			return &typ{kind: k, bits: b, name: name, minLen: b / 8}, nil
		}
		switch e.Name {
		case "bool":
			return &typ{kind: kBool, name: name, minLen: 1}, nil
		case "string":
			return &typ{kind: kString, name: name, minLen: 4}, nil
		}
		if n, ok := m.fixed[e.Name]; ok {
			return &typ{kind: kFixed, n: n, name: name, minLen: n}, nil
		}
		if n, ok := m.manual[e.Name]; ok {
			return &typ{kind: kManual, name: name, minLen: n}, nil
		}
		if _, ok := m.byName[e.Name]; ok {
			return &typ{kind: kStruct, name: name}, nil // size filled later
		}
		return nil, fmt.Errorf("unknown type %s", name)
	case *ast.SelectorExpr:
		if name == "streamable.Uint128" {
			return &typ{kind: kU128, name: name, minLen: 16}, nil
		}
		return nil, fmt.Errorf("unsupported type %s", name)
	case *ast.StarExpr:
		el, err := m.resolve(e.X)
		if err != nil {
			return nil, err
		}
		if el.kind == kOption {
			return nil, fmt.Errorf("nested optionals are not supported (%s)", name)
		}
		return &typ{kind: kOption, elem: el, name: name, minLen: 1}, nil
	case *ast.ArrayType:
		if e.Len == nil {
			if id, ok := e.Elt.(*ast.Ident); ok && (id.Name == "byte" || id.Name == "uint8") {
				return &typ{kind: kBytes, name: name, minLen: 4}, nil
			}
			el, err := m.resolve(e.Elt)
			if err != nil {
				return nil, err
			}
			return &typ{kind: kList, elem: el, name: name, minLen: 4}, nil
		}
		n, err := arrayLen(e)
		if err != nil {
			return nil, err
		}
		el, err := m.resolve(e.Elt)
		if err != nil {
			return nil, err
		}
		if el.kind != kUint && el.kind != kInt {
			return nil, fmt.Errorf("fixed arrays must hold integers (%s)", name)
		}
		if el.bits == 8 {
			return nil, fmt.Errorf("use a named fixed byte type instead of %s", name)
		}
		return &typ{kind: kArray, n: n, elem: el, name: name, minLen: n * el.minLen}, nil
	}
	return nil, fmt.Errorf("unsupported type %s", name)
}

// computeSizes fills the minimum encoded size of every struct and of the
// struct-typed fields, detecting recursive types.
func (m *pkgModel) computeSizes() error {
	state := map[string]int{} // 0 unseen, 1 in progress, 2 done
	size := map[string]int{}
	var visit func(st *structType) error
	var fill func(t *typ) error
	fill = func(t *typ) error {
		switch t.kind {
		case kStruct:
			st := m.byName[t.name]
			if err := visit(st); err != nil {
				return err
			}
			t.minLen = size[st.name]
		case kOption, kList, kArray:
			return fill(t.elem)
		}
		return nil
	}
	visit = func(st *structType) error {
		switch state[st.name] {
		case 1:
			return fmt.Errorf("%s: %s: recursive types are not supported", st.pos, st.name)
		case 2:
			return nil
		}
		state[st.name] = 1
		total := 0
		for _, f := range st.fields {
			if err := fill(f.t); err != nil {
				return err
			}
			total += f.t.minLen
		}
		if st.customBinary {
			if st.minLen > total {
				return fmt.Errorf("%s: %s: minsize=%d exceeds the plain layout's %d", st.pos, st.name, st.minLen, total)
			}
			total = st.minLen
		}
		size[st.name] = total
		st.minLen = total
		state[st.name] = 2
		return nil
	}
	for _, st := range m.structs {
		if err := visit(st); err != nil {
			return err
		}
	}
	return nil
}
