package config

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// resolved returns the value of the node n as the config reader sees it,
// through lookup and entries, in the form the YAML library decodes into
// an any. It fails the test where lookup and entries disagree.
func resolved(t *testing.T, n *yaml.Node) any {
	t.Helper()
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		keys, vals := entries(n)
		m := make(map[string]any, len(keys))
		for _, k := range keys {
			if v, _ := lookup(n, k); v != vals[k] {
				t.Fatalf("line %d: lookup and entries disagree on %q", n.Line, k)
			}
			m[k] = resolved(t, vals[k])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, resolved(t, c))
		}
		return s
	}
	var v any
	if err := n.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// mergeDoc writes random YAML documents of flow mappings that share
// anchors, merge them (inline, by alias, in lists, nested) and shadow
// their keys, without duplicate keys, which the YAML library refuses.
type mergeDoc struct {
	r       *rand.Rand
	anchors []string
	// multi lets a mapping have several merge keys.
	multi bool
}

func (g *mergeDoc) doc() string {
	var b strings.Builder
	for i := range 4 {
		fmt.Fprintf(&b, "k%d: %s\n", i, g.mapping(0))
	}
	return b.String()
}

func (g *mergeDoc) mapping(depth int) string {
	var parts []string
	own := make(map[string]bool)
	merges := 0
	for range g.r.IntN(5) {
		if g.r.IntN(3) == 0 && (merges == 0 || g.multi) {
			merges++
			parts = append(parts, "<<: "+g.merged(depth))
			continue
		}
		k := string(rune('p' + g.r.IntN(4)))
		if !own[k] {
			own[k] = true
			parts = append(parts, k+": "+g.value(depth))
		}
	}
	s := "{" + strings.Join(parts, ", ") + "}"
	if g.r.IntN(2) == 0 {
		a := fmt.Sprintf("a%d", len(g.anchors))
		g.anchors = append(g.anchors, a) // after s: no mapping names itself
		s = "&" + a + " " + s
	}
	return s
}

func (g *mergeDoc) source(depth int) string {
	if len(g.anchors) > 0 && g.r.IntN(3) > 0 {
		return "*" + g.anchors[g.r.IntN(len(g.anchors))]
	}
	return g.mapping(depth + 1)
}

func (g *mergeDoc) merged(depth int) string {
	if g.r.IntN(2) == 0 {
		return g.source(depth)
	}
	var s []string
	for range g.r.IntN(3) + 1 {
		s = append(s, g.source(depth))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func (g *mergeDoc) value(depth int) string {
	switch {
	case depth < 3 && g.r.IntN(3) == 0:
		return g.mapping(depth + 1)
	case len(g.anchors) > 0 && g.r.IntN(4) == 0:
		return "*" + g.anchors[g.r.IntN(len(g.anchors))]
	}
	return fmt.Sprint(g.r.IntN(100))
}

// TestMergeKeysAsYAMLLibrary reads generated documents through lookup and
// entries and through the YAML library's own decoding into an any, which
// resolves merge keys itself: own keys over merged ones, the first of a
// list of merged mappings over later ones, nested merges.
func TestMergeKeysAsYAMLLibrary(t *testing.T) {
	g := &mergeDoc{r: rand.New(rand.NewPCG(5, 8))}
	for range 3000 {
		g.anchors = nil
		raw := g.doc()
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		var want any
		if err := yaml.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		if got := resolved(t, doc.Content[0]); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nread as  %v\nlibrary: %v", raw, got, want)
		}
	}
}

// oneMergeKey rewrites, in place, every mapping of the tree n with several
// merge keys into one with a single merge key listing their mappings: the
// last key's first, each key's in its order. PyYAML, the reference's
// loader, builds a mapping from the merged entries, key after key, then
// its own, the later of equal keys winning, and takes a list of merged
// mappings backwards; so the two read the same.
func oneMergeKey(n *yaml.Node, done map[*yaml.Node]bool) {
	if n == nil || done[n] {
		return
	}
	done[n] = true
	if n.Kind == yaml.MappingNode {
		var own []*yaml.Node
		merged := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := 0; i < len(n.Content); i += 2 {
			if isMergeKey(n.Content[i]) {
				// Prepended: the last key's mappings come first.
				merged.Content = append(append([]*yaml.Node(nil), listed(n.Content[i+1])...), merged.Content...)
			} else {
				own = append(own, n.Content[i], n.Content[i+1])
			}
		}
		if len(merged.Content) > 0 {
			n.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!merge", Value: "<<"}, merged}, own...)
		}
	}
	for _, c := range n.Content {
		oneMergeKey(c, done)
	}
	oneMergeKey(n.Alias, done)
}

// listed returns the nodes a merge key's value lists.
func listed(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

// TestMergeKeysSeveralInAMapping: of several merge keys in one mapping,
// the later key's mappings win, as PyYAML reads them (the YAML library
// refuses such a mapping as a duplicate key, so the documents are
// compared with it after oneMergeKey).
func TestMergeKeysSeveralInAMapping(t *testing.T) {
	raw := "a: &a {port: 1, rpc_port: 11}\nb: &b {port: 2}\nfull_node:\n  <<: *a\n  <<: *b\n"
	c, err := parse("/chia", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if c.FullNode.Port != 2 || c.FullNode.RPCPort != 11 {
		t.Fatalf("port %d rpc_port %d, want 2 (the later merge key) and 11", c.FullNode.Port, c.FullNode.RPCPort)
	}

	g := &mergeDoc{r: rand.New(rand.NewPCG(6, 9)), multi: true}
	for range 3000 {
		g.anchors = nil
		raw := g.doc()
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		got := resolved(t, doc.Content[0])
		oneMergeKey(&doc, make(map[*yaml.Node]bool))
		var want any
		if err := doc.Content[0].Decode(&want); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nread as  %v\nlibrary: %v", raw, got, want)
		}
	}
}

// TestMergeOfNonMapping: a merge key naming anything but a mapping or a
// list of mappings is an error, as PyYAML and the YAML library make it,
// wherever it is in the file; a list named by an alias is a list.
func TestMergeOfNonMapping(t *testing.T) {
	for _, raw := range []string{
		"full_node: {<<: 5, port: 1}\n",
		"full_node: {<<: , port: 1}\n",
		"full_node: {<<: [{port: 2}, 5]}\n",
		"s: &s [1]\nfull_node: {<<: [*s]}\n",
		"s: &s 5\nfull_node: {<<: *s}\n",
		"other: {deep: [{<<: x}]}\n",
	} {
		if _, err := parse("/chia", []byte(raw)); err == nil || !strings.Contains(err.Error(), "merge") {
			t.Errorf("%q: error %v, want one about the merge key", raw, err)
		}
	}
	c, err := parse("/chia", []byte("s: &s [{port: 3}, {port: 4, rpc_port: 5}]\nfull_node: {<<: *s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.FullNode.Port != 3 || c.FullNode.RPCPort != 5 {
		t.Fatalf("port %d rpc_port %d, want 3 and 5", c.FullNode.Port, c.FullNode.RPCPort)
	}
}
