// Package codecbench compares chianet's Streamable codec with the one in
// github.com/chia-network/go-chia-libs on identical bytes.
//
// It holds only tests and benchmarks. It lives in the nested module
// github.com/chianet/chianet/interop so that third-party code used purely
// for comparison (go-chia-libs' reflection-based pkg/streamable and its
// protocol types) never becomes a dependency of the main module: importing
// github.com/chianet/chianet pulls in none of it, and this module points
// at the working tree through a replace directive.
//
// Every input is built with chianet's own encoders (or taken from the
// reference conformance corpus and checked against them), so both
// libraries decode exactly the same bytes. TestGoChiaLibsCanDecode records,
// for each input, whether go-chia-libs decodes it and re-encodes it to the
// same bytes, and what exactly it does where it does not; the matching
// go-chia-libs benchmark is then skipped with the reason. The corpus block
// carries a version 1 (v2 plot) proof of space, which go-chia-libs cannot
// decode, so the block inputs also come in a "V0Proof" form: the same
// block with its proof rewritten as version 0, which it does decode.
// TestSameDecodeResults checks that both libraries agree on the field
// values of the peer list, handshake and message inputs.
//
// The benchmarks put the two libraries side by side in one run, with a
// memcpy of the same bytes as a ceiling:
//
//	BenchmarkDecode/<input>/{chianet,gochialibs,memcpy}
//	BenchmarkEncode/<input>/{chianet,gochialibs,memcpy}
//	BenchmarkMessageFraming/200KB/{chianet,gochialibs,memcpy}
//
// The conformance corpus is found through CHIANET_CONFORMANCE_DIR, or at
// ../shared/conformance beside the repository (../../../shared/conformance
// from this package's folder). Without it the block cases are skipped with
// a message saying so, unless CHIANET_REQUIRE_CONFORMANCE=1 makes absence
// a failure.
package codecbench
