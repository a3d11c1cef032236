package chiatls_test

import (
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/chianet/chianet/chiatls"
)

// A full node's listener and dialer, from an install's certificate tree
// (made first if it is missing, as `chia init` would).
func ExampleTree() {
	tree := chiatls.Tree{Root: os.ExpandEnv("$HOME/.chia/mainnet"), Logger: slog.Default()}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		log.Fatal(err)
	}
	serverCfg, err := tree.ServerConfig(chiatls.FullNode) // public cert, chia CA
	if err != nil {
		log.Fatal(err)
	}
	clientCfg, err := tree.ClientConfig(chiatls.FullNode)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := tls.Listen("tcp", ":8444", serverCfg)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	_ = clientCfg // for tls.Dial to other full nodes
	id, err := tree.NodeID(chiatls.FullNode)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("node id", hex.EncodeToString(id[:]))
}

// The node id is the SHA-256 of the DER certificate.
func ExampleNodeIDFromDER() {
	id := chiatls.NodeIDFromDER([]byte("not really a certificate"))
	fmt.Println(hex.EncodeToString(id[:]))
	// Output: d6182255e5739d55fc9781759c7a823d4dff3d2b7d17949e7085ee7c0cc22acf
}
