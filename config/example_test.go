package config_test

import (
	"errors"
	"fmt"

	"github.com/chianet/chianet/config"
)

func ExampleConfig_Network() {
	c, err := config.Default("/srv/chia") // Default writes nothing
	if err != nil {
		panic(err)
	}
	nw, err := c.Network("") // the selected network
	if err != nil {
		panic(err)
	}
	fmt.Println(nw.Name, nw.DefaultPort, nw.Introducer, len(nw.DNSServers), nw.Private)

	_, err = c.Network("devnet")
	var unknown *config.UnknownNetworkError
	fmt.Println(errors.As(err, &unknown), unknown.Builtin)

	dev, _ := c.PrivateNetwork("devnet")
	fmt.Println(dev.Name, dev.DefaultPort, dev.Introducer == "", dev.AllowPrivate)
	// Output:
	// mainnet 8444 introducer.chia.net:8444 6 false
	// true [mainnet testnet11]
	// devnet 0 true true
}

func ExampleConfig_Validate() {
	c, _ := config.Default("/srv/chia")
	c.FullNode.TargetOutboundPeerCount = 50
	c.FullNode.Port = 70000
	fmt.Println(c.Validate())
	// Output:
	// full_node.port: 70000 is out of range 0–65535
	// full_node.target_outbound_peer_count: 50 is more than full_node.target_peer_count (40)
}
