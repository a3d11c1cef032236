package node

import "github.com/chianet/chianet/server"

// Subscribe calls fn for every later connection event of the node's
// server (server.Server.Subscribe): a connection joining or leaving, in
// the order they happened. It lets a caller follow the node's
// connections exactly, e.g. the moment it first reached its outbound
// target, instead of sampling Connections. The returned function cancels
// the subscription.
func (n *Node) Subscribe(fn func(server.Event)) (unsubscribe func()) { return n.srv.Subscribe(fn) }

// AddressCounts returns how many addresses the node's address manager
// knows: in its new and in its tried table.
func (n *Node) AddressCounts() (newCount, triedCount int) { return n.addrs.Counts() }
