// Package ws is the WebSocket layer under package peer, behind a small,
// library-neutral interface: a Conn reads and writes whole binary
// messages, pings, closes with a code and a reason, and tells its TLS
// state. A Library dials and accepts Conns.
//
// Gorilla (github.com/gorilla/websocket) is the Library chianet uses;
// Coder (github.com/coder/websocket) implements the same interface so
// that the benchmarks of package peer compare the two under the same
// peer code (BENCHMARKS.md records the choice).
//
// Both send a message as one frame, or, over MaxFrame (16 MiB), in frames
// of MaxFrame, which Rust clients on tungstenite also accept.
//
// Both read a Chia message into one buffer of the size its own header
// announces (ReadMessage), so a well-formed message costs one allocation,
// and a length announced but not sent costs little. Frames over the read
// limit are refused at their header.
//
// What it does not do: it knows nothing of Chia's handshake, request ids
// or rate limits. Conn.Read is for one goroutine at a time; every other
// method is safe for concurrent use.
package ws
