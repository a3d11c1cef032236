package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file reads the typed view out of a config.yaml node tree and
// writes changed fields back into it. The tree is the file: it keeps the
// keys chianet does not type, comments, anchors and aliases.

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n (already dereferenced) is absent or null.
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" || k.Tag == "" && k.Value == "<<")
}

// lookup returns the value node of key in the mapping m as a YAML loader
// sees it: the last of m's own entries for key (as PyYAML keeps the last
// of duplicates), else the first merged mapping ("<<") that has it, in
// mergeOrder. idx is
// the index of the key node in m.Content, or -1 when the value comes from
// a merge or there is none. val is the node as it sits in the tree, an
// alias node included.
func lookup(m *yaml.Node, key string) (val *yaml.Node, idx int) {
	return lookupSeen(m, key, nil)
}

// lookupSeen is lookup that skips the merged mappings in seen (nil for
// none yet) and adds those it searches: a mapping merged along several
// paths (a file can merge the same anchor twice at every level) is
// searched once, not once per path, which would take time exponential in
// the depth.
func lookupSeen(m *yaml.Node, key string, seen map[*yaml.Node]bool) (val *yaml.Node, idx int) {
	idx = -1
	hasMerge := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if isMergeKey(k) {
			hasMerge = true
		} else if k.Kind == yaml.ScalarNode && k.Value == key {
			val, idx = m.Content[i+1], i
		}
	}
	if val != nil || !hasMerge {
		return val, idx
	}
	if seen == nil {
		seen = map[*yaml.Node]bool{m: true}
	}
	for _, s := range mergeOrder(m) {
		if seen[s] {
			continue
		}
		seen[s] = true
		if v, _ := lookupSeen(s, key, seen); v != nil {
			return v, -1
		}
	}
	return nil, -1
}

// mergeOrder returns the mappings m merges, the one whose values win
// first. PyYAML loads a mapping as the merged entries followed by its
// own, the later of equal keys winning: the entries of several merge
// keys in one mapping follow each other in file order, so the last merge
// key wins, while within one key's list it takes the list backwards, so
// the first mapping listed wins.
func mergeOrder(m *yaml.Node) []*yaml.Node {
	var from []*yaml.Node
	for i := len(m.Content)/2*2 - 2; i >= 0; i -= 2 {
		if isMergeKey(m.Content[i]) {
			from = append(from, mergeSources(m.Content[i+1])...)
		}
	}
	return from
}

// checkMerges refuses a file with a merge key whose value is not a
// mapping or a list of mappings, which the reference's loader refuses to
// load; lookup would pass over such a value.
func checkMerges(doc *yaml.Node) error {
	seen := make(map[*yaml.Node]bool)
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n = deref(n); n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && i+1 < len(n.Content) && isMergeKey(c) && !isMergeValue(n.Content[i+1]) {
				return fmt.Errorf("line %d: the value of merge key %q is not a mapping or a list of mappings", c.Line, c.Value)
			}
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(doc)
}

// isMergeValue reports whether v, the value of a merge key, is a mapping
// or a sequence of mappings, aliases followed.
func isMergeValue(v *yaml.Node) bool {
	switch v = deref(v); v.Kind {
	case yaml.MappingNode:
		return true
	case yaml.SequenceNode:
		for _, s := range v.Content {
			if deref(s).Kind != yaml.MappingNode {
				return false
			}
		}
		return true
	}
	return false
}

// mergeSources returns the mappings a merge key's value names: the
// mapping itself, or the mappings of a sequence, in order.
func mergeSources(v *yaml.Node) []*yaml.Node {
	switch src := deref(v); src.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{src}
	case yaml.SequenceNode:
		var from []*yaml.Node
		for _, s := range src.Content {
			if s = deref(s); s.Kind == yaml.MappingNode {
				from = append(from, s)
			}
		}
		return from
	}
	return nil
}

// entries returns the keys of the mapping m in order, own keys and merged
// ones, each once, with the value lookup finds for each. It walks each
// mapping once, however many paths merge it, so that a mapping of n keys
// costs O(n) rather than n lookups.
func entries(m *yaml.Node) (keys []string, vals map[string]*yaml.Node) {
	vals = make(map[string]*yaml.Node)
	seen := map[*yaml.Node]bool{m: true}
	var add func(m *yaml.Node)
	add = func(m *yaml.Node) {
		// Own keys first, the last of duplicates winning; then the merged
		// mappings in mergeOrder, each only for keys not found before it.
		var own map[string]*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if k.Kind != yaml.ScalarNode || isMergeKey(k) {
				continue
			}
			if _, ok := vals[k.Value]; ok && (own == nil || own[k.Value] == nil) {
				continue // found before this mapping
			}
			if own == nil {
				own = make(map[string]*yaml.Node)
			}
			if own[k.Value] == nil {
				keys = append(keys, k.Value)
			}
			own[k.Value] = m.Content[i+1]
			vals[k.Value] = m.Content[i+1]
		}
		for _, s := range mergeOrder(m) {
			if !seen[s] {
				seen[s] = true
				add(s)
			}
		}
	}
	add(m)
	return keys, vals
}

// yamlKey returns the file key of a struct field, or "" for a field that
// is not in the file.
func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" {
		return ""
	}
	return key
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isStructMap reports whether t is a map from string to a struct, which
// is read and written entry by entry.
func isStructMap(t reflect.Type) bool {
	return t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.Struct
}

func isStructPtr(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
}

// decodeStruct sets the fields of the struct v from the mapping m; a key
// that is absent or null leaves its field as it is.
func decodeStruct(m *yaml.Node, path string, v reflect.Value) error {
	var errs []error
	t := v.Type()
	for i := range t.NumField() {
		key := yamlKey(t.Field(i))
		if key == "" {
			continue
		}
		raw, _ := lookup(m, key)
		n := deref(raw)
		if isNull(n) {
			continue
		}
		if err := decodeValue(n, joinKey(path, key), v.Field(i)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// decodeValue sets v from the node n (dereferenced, not null).
func decodeValue(n *yaml.Node, path string, v reflect.Value) error {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return &FieldError{Key: path, Reason: "is not a mapping"}
		}
		return decodeStruct(n, path, v)
	case isStructPtr(t):
		p := reflect.New(t.Elem())
		if err := decodeValue(n, path, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case isStructMap(t):
		if n.Kind != yaml.MappingNode {
			return &FieldError{Key: path, Reason: "is not a mapping"}
		}
		mv := reflect.MakeMap(t)
		var errs []error
		keys, vals := entries(n)
		for _, k := range keys {
			raw := vals[k]
			elem := reflect.New(t.Elem()).Elem()
			if e := deref(raw); !isNull(e) {
				if err := decodeValue(e, joinKey(path, k), elem); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			mv.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		}
		v.Set(mv)
		return errors.Join(errs...)
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			reason := err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) {
				reason = strings.Join(te.Errors, "; ")
			}
			return &FieldError{Key: path, Reason: reason}
		}
		return nil
	}
}

// cloneTree deep-copies a node tree, keeping aliases pointing at the
// copies of their anchors.
func cloneTree(n *yaml.Node) *yaml.Node {
	seen := make(map[*yaml.Node]*yaml.Node)
	var clone func(n *yaml.Node) *yaml.Node
	clone = func(n *yaml.Node) *yaml.Node {
		if n == nil {
			return nil
		}
		if c, ok := seen[n]; ok {
			return c
		}
		c := new(yaml.Node)
		*c = *n
		seen[n] = c
		c.Alias = clone(n.Alias)
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = clone(k)
		}
		return c
	}
	return clone(n)
}

// mapRef is a mapping in the tree that may not exist yet: it is made
// when a value has to be written into it.
type mapRef struct {
	node   *yaml.Node // the mapping, nil while absent
	parent *mapRef
	key    string
}

func (r *mapRef) child(key string) *mapRef {
	c := &mapRef{parent: r, key: key}
	if r.node != nil {
		raw, _ := lookup(r.node, key)
		if n := deref(raw); n != nil && n.Kind == yaml.MappingNode {
			c.node = n
		}
	}
	return c
}

// edit replaces the scalar or alias token that starts at line:col (1-based,
// in characters, as yaml.Node counts) of the file with text.
type edit struct {
	line, col int
	text      string
}

// writer applies a Config's changes to a node tree. While every change
// replaces a scalar the file already has, it also records them as edits
// of the file's bytes; rewrite is set as soon as one cannot be.
type writer struct {
	doc     *yaml.Node
	edits   []edit
	rewrite bool
}

func (w *writer) addEdit(at *yaml.Node, text string) {
	for i, e := range w.edits {
		if e.line == at.Line && e.col == at.Column {
			w.edits[i].text = text
			return
		}
	}
	w.edits = append(w.edits, edit{line: at.Line, col: at.Column, text: text})
}

// ensure returns the mapping r names, creating it (and its parents) in the
// tree when absent.
func (w *writer) ensure(r *mapRef) *yaml.Node {
	if r.node != nil {
		return r.node
	}
	p := w.ensure(r.parent)
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	w.setNode(p, r.key, n)
	r.node = n
	return n
}

// diffStruct writes into the mapping r the fields of cur that differ from
// old.
func (w *writer) diffStruct(r *mapRef, cur, old reflect.Value) error {
	t := cur.Type()
	for i := range t.NumField() {
		key := yamlKey(t.Field(i))
		if key == "" {
			continue
		}
		c, o := cur.Field(i), old.Field(i)
		if reflect.DeepEqual(c.Interface(), o.Interface()) {
			continue
		}
		if err := w.diffValue(r, key, c, o); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) diffValue(r *mapRef, key string, c, o reflect.Value) error {
	t := c.Type()
	switch {
	case t.Kind() == reflect.Struct:
		return w.diffStruct(r.child(key), c, o)
	case isStructPtr(t):
		if c.IsNil() {
			w.deleteKey(r, key)
			return nil
		}
		if o.IsNil() {
			o = reflect.New(t.Elem())
		}
		return w.diffStruct(r.child(key), c.Elem(), o.Elem())
	case isStructMap(t):
		child := r.child(key)
		var keys []string
		for _, k := range c.MapKeys() {
			keys = append(keys, k.String())
		}
		for _, k := range o.MapKeys() {
			if !c.MapIndex(k).IsValid() {
				keys = append(keys, k.String())
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			kv := reflect.ValueOf(k).Convert(t.Key())
			cv, ov := c.MapIndex(kv), o.MapIndex(kv)
			switch {
			case !cv.IsValid():
				w.deleteKey(child, k)
			case !ov.IsValid():
				if err := w.diffStruct(child.child(k), cv, reflect.New(t.Elem()).Elem()); err != nil {
					return err
				}
				// An entry with every field zero is still an entry.
				w.ensure(child.child(k))
			case !reflect.DeepEqual(cv.Interface(), ov.Interface()):
				if err := w.diffStruct(child.child(k), cv, ov); err != nil {
					return err
				}
			}
		}
		return nil
	case t.Kind() == reflect.Slice && c.IsNil():
		w.deleteKey(r, key)
		return nil
	default:
		return w.setLeaf(r, key, c)
	}
}

// deleteKey removes key from the mapping r, if it is r's own.
func (w *writer) deleteKey(r *mapRef, key string) {
	if r.node == nil {
		return
	}
	if _, idx := lookup(r.node, key); idx >= 0 {
		w.detachAll(r.node.Content[idx+1])
		r.node.Content = slices.Delete(r.node.Content, idx, idx+2)
		w.rewrite = true
	}
}

// setNode sets key of the mapping m to n, replacing m's own entry or
// appending one.
func (w *writer) setNode(m *yaml.Node, key string, n *yaml.Node) {
	w.rewrite = true
	if _, idx := lookup(m, key); idx >= 0 {
		w.detachAll(m.Content[idx+1])
		m.Content[idx+1] = n
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, n)
}

// setLeaf writes the value v as key of the mapping r.
func (w *writer) setLeaf(r *mapRef, key string, v reflect.Value) error {
	n := new(yaml.Node)
	if err := n.Encode(v.Interface()); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	m := w.ensure(r)
	_, idx := lookup(m, key)
	var target *yaml.Node
	if idx >= 0 {
		target = deref(m.Content[idx+1])
	}
	adaptStyle(n, target)
	if idx < 0 {
		w.setNode(m, key, n)
		return nil
	}
	old := m.Content[idx+1]
	n.HeadComment, n.LineComment, n.FootComment = old.HeadComment, old.LineComment, old.FootComment
	n.Line, n.Column = old.Line, old.Column
	n.Anchor = old.Anchor
	w.detachAll(old)
	m.Content[idx+1] = n
	if n.Kind == yaml.ScalarNode && target.Kind == yaml.ScalarNode && !w.rewrite {
		if text, ok := renderScalar(n); ok {
			w.addEdit(old, text)
			return nil
		}
	}
	w.rewrite = true
	return nil
}

// adaptStyle gives a new value the look of the one it replaces: a string
// keeps its quoting, and a boolean is written True/False as the
// reference writes it unless the file wrote it in lower case.
func adaptStyle(n, old *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		return
	}
	switch n.Tag {
	case "!!str":
		if old != nil && old.Kind == yaml.ScalarNode && old.Tag == "!!str" && n.Style == 0 {
			n.Style = old.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
		}
	case "!!bool":
		lower := old != nil && old.Kind == yaml.ScalarNode && old.Tag == "!!bool" && old.Value == strings.ToLower(old.Value)
		if !lower {
			n.Value = strings.ToUpper(n.Value[:1]) + n.Value[1:]
		}
	}
}

// detachAll detaches the aliases of every anchored node in the subtree n,
// which is about to be replaced or removed. Aliases inside n itself go
// with it.
func (w *writer) detachAll(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		return
	}
	if n.Anchor != "" {
		w.detachAliases(n)
	}
	for _, c := range n.Content {
		w.detachAll(c)
	}
}

// detachAliases gives every alias of the anchored node a its own copy of
// a's value, before a changes: an alias stands for the value it was read
// with, as it does in the reference once the file is loaded.
func (w *writer) detachAliases(a *yaml.Node) {
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i, c := range n.Content {
			if c.Kind == yaml.AliasNode && c.Alias == a {
				cp := cloneTree(a)
				cp.Anchor = ""
				cp.Line, cp.Column = c.Line, c.Column
				cp.HeadComment, cp.LineComment, cp.FootComment = c.HeadComment, c.LineComment, c.FootComment
				n.Content[i] = cp
				if text, ok := renderScalar(cp); ok && cp.Kind == yaml.ScalarNode {
					w.addEdit(c, text)
				} else {
					w.rewrite = true
				}
				continue
			}
			walk(c)
		}
	}
	walk(w.doc)
}

// renderScalar returns the one-line YAML text of a scalar node, without
// anchor or comments.
func renderScalar(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	bare := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style}
	out, err := yaml.Marshal(bare)
	if err != nil {
		return "", false
	}
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" || strings.ContainsAny(s, "\n\r") {
		return "", false
	}
	return s, true
}
