package pep440

import "testing"

func TestValid(t *testing.T) {
	for v, want := range map[string]bool{
		"0.0.36": true, "1": true, "v1.0": true, " 0.0.35 ": true, "1!2.0": true,
		"1.0a1": true, "1.0.post1": true, "1.0-1": true, "1.0.dev3": true, "1.0rc1.post2.dev3+local.7": true,
		"1.0RC1": true, "1.0_alpha-2": true,
		"": false, "abc": false, "0.0.36-beta_": true, "0.0.36-beta_x": false, "1..0": false, "1.0+": false, "1.0 x": false,
		"0.0.38\x00": false, "١.٠": false,
	} {
		if got := Valid(v); got != want {
			t.Errorf("Valid(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestAtLeast(t *testing.T) {
	ref := Release(0, 0, 35)
	for v, want := range map[string]bool{
		"0.0.35": true, "0.0.36": true, "0.0.35.0": true, "0.0.35.post1": true, "1.0": true, "1!0.0.1": true,
		"0.0.34": false, "0.0.35rc1": false, "0.0.35.dev1": false, "0.0.3": false,
		"99999999999999999999999.0": true,
	} {
		pv, ok := Parse(v)
		if !ok {
			t.Fatalf("Parse(%q) failed", v)
		}
		if got := pv.AtLeast(ref); got != want {
			t.Errorf("%q >= 0.0.35 = %v, want %v", v, got, want)
		}
	}
	if _, ok := Parse("abc"); ok {
		t.Error(`Parse("abc") succeeded`)
	}
}

func TestShort(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2.5.4", "2.5.4"},
		{"2.6.0rc1", "2.6.0rc1"},
		{"2.6.0-RC.2", "2.6.0rc2"},
		{"2.1.0b", "2.1.0b0"},
		{"2.1.0alpha3", "2.1.0a3"},
		{"2.1.0c1", "2.1.0rc1"},
		{"2.4.4.dev0+g1234abcd", "2.4.4"},
		{"2.4.4.post1", "2.4.4"},
		{"v1.8", "1.8.0"},
		{"1!3.2.1.7", "3.2.1"},
		{" 2.5.4 ", "2.5.4"},
		{"2.5.4-custom build", "2.5.4"},
		{"undefined", "undefined"},
		{"", ""},
	} {
		if got := Short(tc.in); got != tc.want {
			t.Errorf("Short(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
