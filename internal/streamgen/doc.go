// Command streamgen writes the Streamable codec, the reference JSON form,
// Hash and TypeName of every wire struct of a package.
//
// It reads the package's types_<area>.go files, where every declaration is
// a wire struct, and writes gen_<area>.go beside each, plus
// gen_registry.go with a name → constructor table. It understands a fixed
// set of field kinds (sized integers, bool, string, []byte,
// streamable.Uint128, named [N]byte types, fixed integer arrays, pointers
// for Optional, slices for List, wire structs, and hand-written leaf types
// marked //streamgen:manual) and stops with an error on anything else, so
// a new kind of field is a deliberate change here, never a silent
// mis-encoding.
//
// If the package has a message_types.txt, the one list of its message
// types (a line each: id, reference name, Go constant, payload type, then
// optional words for the constant's doc comment), streamgen also writes
// gen_message_types.go from it: the MessageType constants, the id → name
// and id → payload type name tables and the id → new payload switch
// (newPayload). Adding a message type is one line and go generate. It
// stops on a malformed line, a repeated or out-of-order id, a repeated
// name or constant, or a payload type the package does not declare.
//
// Directives, in a type's doc comment:
//
//	//streamgen:tuple                    JSON as an array (a Python tuple)
//	//streamgen:custom-binary minsize=N  binary codec hand-written elsewhere
//	//streamgen:manual minsize=N         a hand-written leaf type (outside types_*.go)
//	//streamgen:rust-bytes               empty bytes fields in JSON as "", not "0x"
//
// rust-bytes marks the types the reference defines in chia_rs, whose
// to_json_dict writes empty bytes as "" where the Python Streamable writes
// "0x".
//
// Usage (from go:generate in the package directory):
//
//	go run github.com/chianet/chianet/internal/streamgen
package main
