package config

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Misspelling is a key of config.yaml that chianet does not read but that
// is a letter or two away from one it does, so most likely a typo. The
// reference ignores such a key without a word, and so does the typed view;
// Misspellings lets a command say so instead.
type Misspelling struct {
	// Key is the key as the file has it, with its section, e.g.
	// "full_node.target_outbond_peer_count".
	Key string
	// Want is the key chianet reads that it resembles, e.g.
	// "full_node.target_outbound_peer_count".
	Want string
	// Line is the key's line in the file.
	Line int
}

// Misspellings returns the keys of the file as read that resemble a key
// of Config, in the sections Config decodes, in file order; none for a
// Config not read from a file. Keys of the reference's own that chianet
// does not read are not near any it does, so they are not reported.
func (c *Config) Misspellings() []Misspelling {
	if c.file == nil {
		return nil
	}
	var out []Misspelling
	misspellings(deref(c.file.doc.Content[0]), "", reflect.TypeFor[Config](), &out)
	return out
}

// misspellings appends those of the mapping m, decoded into a struct of
// type t at path, and of the mappings under it.
func misspellings(m *yaml.Node, path string, t reflect.Type, out *[]Misspelling) {
	var keys []string
	types := map[string]reflect.Type{}
	for i := range t.NumField() {
		if k := yamlKey(t.Field(i)); k != "" {
			keys = append(keys, k)
			types[k] = t.Field(i).Type
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if ft, ok := types[k]; ok {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if v := deref(m.Content[i+1]); v != nil && v.Kind == yaml.MappingNode && ft.Kind() == reflect.Struct {
				misspellings(v, joinKey(path, k), ft, out)
			}
			continue
		}
		for _, want := range keys {
			if nearKey(k, want) {
				*out = append(*out, Misspelling{Key: joinKey(path, k), Want: joinKey(path, want), Line: m.Content[i].Line})
				break
			}
		}
	}
}

// nearKey tells whether key, which is not want, differs from it only in
// case, or by one edit (two for keys of 8 letters or more), an edit
// being a letter added, dropped, changed, or swapped with its neighbour.
func nearKey(key, want string) bool {
	if key == want || key == "<<" {
		return false
	}
	if strings.EqualFold(key, want) {
		return true
	}
	limit := 1
	if len(want) >= 8 {
		limit = 2
	}
	return editDistance(strings.ToLower(key), strings.ToLower(want), limit) <= limit
}

// editDistance returns the optimal string alignment distance of a and b
// (bytes), or limit+1 as soon as it is known to exceed limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Three rows: two before the current one, for swaps.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
