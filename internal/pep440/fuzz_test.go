package pep440

import (
	"strings"
	"testing"
)

// FuzzParse checks the version parser on any string, as a peer's
// Handshake carries it: Parse accepts exactly what Valid does, a version
// is at least itself and at least its own release, a valid version's
// Short form is valid and parses to the same release numbers, and nothing
// panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.0.37", "2.5.4", "v1!2.6.0rc1.post2.dev3+local.x", "1.8", " 0.0.35\t", "2.4.4.dev0+g1234abcd",
		"99999999999999999999999.1", "1.2.3-4", "1.2.3.a", "", "\x1c1.0\x1f", "1." + strings.Repeat("0.", 1000) + "1", "not a version"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := Parse(s)
		if ok != Valid(s) {
			t.Fatalf("%q: Parse %v, Valid %v", s, ok, Valid(s))
		}
		short := Short(s)
		if !ok {
			return
		}
		if !v.AtLeast(v) && v.adj >= 0 {
			t.Fatalf("%q is not at least itself", s)
		}
		rel := Version{epoch: v.epoch, release: v.release}
		if v.adj >= 0 && !v.AtLeast(rel) {
			t.Fatalf("%q is below its own release", s)
		}
		if v.adj < 0 && v.AtLeast(rel) {
			t.Fatalf("pre-release %q is not below its release", s)
		}
		sv, ok := Parse(short)
		if !ok {
			t.Fatalf("%q: short form %q is not a version", s, short)
		}
		for i := range 3 {
			want := 0
			if i < len(v.release) {
				want = v.release[i]
			}
			if sv.release[i] != want {
				t.Fatalf("%q: short form %q has release %v", s, short, sv.release)
			}
		}
	})
}
