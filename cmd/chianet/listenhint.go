package main

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// listenFlag is a flag choosing an address a command listens on, and the
// HOST:PORT it came to ("" when that listener is off).
type listenFlag struct {
	flag string // as typed, e.g. "--rpc-port"
	addr string
	off  string // how to turn the listener off, e.g. "-1", or "" when it cannot be
}

// explainAddrInUse adds to err, when it is a listen that failed because
// its port is taken, which of flags chose that port and what to do:
// "address already in use" alone does not tell an operator that the
// default RPC port of a second node on the host is the culprit, nor which
// flag moves it. Other errors are returned as they are.
func explainAddrInUse(err error, flags ...listenFlag) error {
	var op *net.OpError
	if !errors.Is(err, syscall.EADDRINUSE) || !errors.As(err, &op) || op.Addr == nil {
		return err
	}
	_, port, splitErr := net.SplitHostPort(op.Addr.String())
	if splitErr != nil {
		return err
	}
	var mine []listenFlag
	for _, f := range flags {
		if _, p, e := net.SplitHostPort(f.addr); e == nil && p == port {
			mine = append(mine, f)
		}
	}
	switch len(mine) {
	case 0:
		return fmt.Errorf("%w; another program listens on port %s", err, port)
	case 1:
		f := mine[0]
		off := ""
		if f.off != "" {
			off = fmt.Sprintf(" (%s for none)", f.off)
		}
		return fmt.Errorf("%w; another program listens on port %s, perhaps another chianet or chia service: stop it, or give %s another port%s",
			err, port, f.flag, off)
	default:
		names := make([]string, len(mine))
		for i, f := range mine {
			names[i] = f.flag
		}
		return fmt.Errorf("%w; port %s is given to %s at once: give each its own port", err, port, strings.Join(names, " and "))
	}
}
