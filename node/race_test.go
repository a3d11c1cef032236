//go:build race

package node

// raceEnabled is set when the race detector is on: it multiplies the
// memory a connection takes, so TestInboundConnections does not check RSS.
const raceEnabled = true
