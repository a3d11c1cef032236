package pep440

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// pep440 is the version pattern of the Python "packaging" library
// (packaging.version.VERSION_PATTERN), which the reference applies to
// Handshake.protocol_version with Version(...): anything it does not match
// makes the reference close the connection. Matching is case-insensitive,
// as there; surrounding white space is trimmed before matching (see
// Valid). Sub-matches: 1 epoch, 2 release, 3 pre, 4 post, 5 dev,
// 6 local.
var pep440 = regexp.MustCompile(`(?i)^v?` +
	`(?:([0-9]+)!)?` + // epoch
	`([0-9]+(?:\.[0-9]+)*)` + // release
	`([-_.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_.]?[0-9]*)?` + // pre-release
	`((?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?` + // post-release
	`([-_.]?dev[-_.]?[0-9]*)?` + // dev release
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`) // local version

// pyspace reports whether Python's str.strip()/`\s` would treat r as white
// space: Unicode white space plus the ASCII separators 0x1c-0x1f.
func pyspace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// Valid reports whether packaging.version.Version(s) accepts s.
func Valid(s string) bool {
	return pep440.MatchString(strings.TrimFunc(s, pyspace))
}

// Version is the part of a parsed PEP 440 version that orders it against
// a plain release: epoch, release numbers, and whether it sorts before
// (pre or dev, without post) or after (post) the plain release.
type Version struct {
	epoch   int
	release []int
	// adj is -1 for a pre-release or a dev release of the release itself,
	// +1 for a post-release, 0 for the release (a local label does not
	// move it against a release without one).
	adj int
}

// Parse parses s as a PEP 440 version; ok is false when Valid(s) is.
func Parse(s string) (v Version, ok bool) {
	m := pep440.FindStringSubmatch(strings.TrimFunc(s, pyspace))
	if m == nil {
		return Version{}, false
	}
	if m[1] != "" {
		v.epoch = atoiSat(m[1])
	}
	for _, part := range strings.Split(m[2], ".") {
		v.release = append(v.release, atoiSat(part))
	}
	switch {
	case m[4] != "":
		v.adj = 1
	case m[3] != "" || m[5] != "":
		v.adj = -1
	}
	return v, true
}

// atoiSat parses a string of ASCII digits, saturating instead of failing
// on overflow.
func atoiSat(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return int(^uint(0) >> 1)
	}
	return n
}

// AtLeast reports whether v >= the plain release r (e.g. 0.0.35). Release
// numbers compare as tuples with trailing zeros ignored, as in PEP 440.
func (v Version) AtLeast(r Version) bool {
	if v.epoch != r.epoch {
		return v.epoch > r.epoch
	}
	n := max(len(v.release), len(r.release))
	for i := range n {
		a, b := 0, 0
		if i < len(v.release) {
			a = v.release[i]
		}
		if i < len(r.release) {
			b = r.release[i]
		}
		if a != b {
			return a > b
		}
	}
	return v.adj >= 0
}

// Release returns the plain release of the given numbers, e.g.
// Release(0, 0, 35).
func Release(nums ...int) Version { return Version{release: nums} }

// preLetters are the normalised PEP 440 pre-release spellings.
var preLetters = map[string]string{
	"a": "a", "alpha": "a",
	"b": "b", "beta": "b",
	"c": "rc", "rc": "rc", "pre": "rc", "preview": "rc",
}

// prePart splits a matched pre-release segment into its letters and
// number.
var prePart = regexp.MustCompile(`(?i)^[-_.]?([a-z]+)[-_.]?([0-9]*)$`)

// leadingRelease is the fallback of Short for strings that are not PEP 440.
var leadingRelease = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)`)

// Short returns the short form of a software version as the reference's
// chia_short_version writes it: major.minor.micro of the release (missing
// numbers are 0), followed by the normalised pre-release ("a", "b" or "rc"
// and its number) if any; post, dev and local parts are dropped. A string
// that is not PEP 440 gives its leading "N.N.N" if it has one, else itself.
//
//	2.5.4                          2.5.4
//	2.6.0rc1                       2.6.0rc1
//	2.4.4.dev0+g1234abcd           2.4.4
//	1.8                            1.8.0
func Short(s string) string {
	m := pep440.FindStringSubmatch(strings.TrimFunc(s, pyspace))
	if m == nil {
		if lr := leadingRelease.FindString(s); lr != "" {
			return lr
		}
		return s
	}
	rel := strings.Split(m[2], ".")
	nums := [3]int{}
	for i := 0; i < 3 && i < len(rel); i++ {
		nums[i] = atoiSat(rel[i])
	}
	out := strconv.Itoa(nums[0]) + "." + strconv.Itoa(nums[1]) + "." + strconv.Itoa(nums[2])
	if m[3] != "" {
		if p := prePart.FindStringSubmatch(m[3]); p != nil {
			n := 0
			if p[2] != "" {
				n = atoiSat(p[2])
			}
			out += preLetters[strings.ToLower(p[1])] + strconv.Itoa(n)
		}
	}
	return out
}
