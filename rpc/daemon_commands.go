package rpc

import (
	"encoding/json"
	"slices"
	"sort"
)

// daemonCommands are the daemon's own commands chianet serves, in the
// order of the reference's command map; get_routes lists them.
var daemonCommands = []string{
	"is_running",
	"running_services",
	"exit",
	"register_service",
	"get_status",
	"get_version",
	"get_routes",
	"get_network_info",
}

// unsupportedDaemonCommands are the reference daemon's commands that start
// processes, plot or keep keys, which chianet's daemon does not.
var unsupportedDaemonCommands = []string{
	"start_service", "start_plotting", "stop_plotting", "stop_service",
	"is_keyring_locked", "keyring_status", "unlock_keyring", "validate_keyring_passphrase",
	"set_keyring_passphrase", "remove_keyring_passphrase", "get_plotters",
	"get_wallet_addresses", "get_keys_for_plotting",
	// KeychainServer's commands.
	"add_private_key", "add_key", "check_keys", "delete_all_keys", "delete_key_by_fingerprint",
	"get_all_private_keys", "get_first_private_key", "get_key_for_fingerprint", "get_key",
	"get_keys", "get_public_key", "get_public_keys", "set_label", "delete_label",
}

// commandsWithData need a non-empty data object (the reference's
// commands_with_data).
var commandsWithData = []string{
	"start_service", "start_plotting", "stop_plotting", "stop_service", "is_running", "register_service",
}

// command answers a message to the daemon itself.
func (d *Daemon) command(c *wsConn, m Message) map[string]any {
	p, err := dataParams(m.Data)
	if err != nil {
		return map[string]any{"success": false, "error": err.Error()}
	}
	if len(p) == 0 && slices.Contains(commandsWithData, m.Command) {
		return map[string]any{"success": false, "error": m.Command + ` requires "data"`}
	}
	switch m.Command {
	case "ping":
		return map[string]any{"success": true, "value": "pong"}
	case "register_service":
		name, _, err := p.String("service")
		if err != nil || name == "" {
			return map[string]any{"success": false, "error": "register_service: data.service must be a service name"}
		}
		if _, ok := d.service(name); ok {
			return map[string]any{"success": false,
				"error": "register_service: " + name + " is served by chianet itself and cannot be registered by a socket"}
		}
		d.register(c, name)
		d.log.Debug("daemon socket registered", "service", name, "remote", c.remote)
		return map[string]any{"success": true}
	case "get_version":
		return map[string]any{"success": true, "version": d.cfg.Version}
	case "get_network_info":
		ni := d.cfg.NetworkInfo
		return map[string]any{"success": true, "network_name": ni.NetworkName,
			"network_prefix": ni.NetworkPrefix, "genesis_challenge": ni.GenesisChallenge}
	case "get_status":
		return map[string]any{"success": true, "genesis_initialized": true}
	case "get_routes":
		return map[string]any{"success": true, "routes": slices.Clone(daemonCommands)}
	case "is_running":
		name, _, err := p.String("service")
		if err != nil {
			return map[string]any{"success": false, "error": err.Error()}
		}
		return map[string]any{"success": true, "service_name": name, "is_running": d.isRunning(name)}
	case "running_services":
		return map[string]any{"success": true, "running_services": d.running()}
	case "exit":
		if d.cfg.Exit == nil {
			return map[string]any{"success": false, "error": "exit: this daemon cannot stop its services"}
		}
		d.mu.Lock()
		stopped := slices.Clone(d.order)
		d.mu.Unlock()
		return map[string]any{"success": true, "services_stopped": stopped}
	}
	if slices.Contains(unsupportedDaemonCommands, m.Command) {
		return map[string]any{"success": false,
			"error": "unknown_command " + m.Command + " (chianet's daemon starts no processes and keeps no keys or plots)"}
	}
	return map[string]any{"success": false, "error": "unknown_command " + m.Command}
}

func (d *Daemon) register(c *wsConn, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	set := d.names[name]
	if set == nil {
		set = make(map[*wsConn]struct{})
		d.names[name] = set
	}
	set[c] = struct{}{}
}

// isRunning: an in-process service, or a name with a registered socket.
func (d *Daemon) isRunning(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.services[name]
	return ok || len(d.names[name]) > 0
}

// running lists the in-process services, then the registered names.
func (d *Daemon) running() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := slices.Clone(d.order)
	var reg []string
	for name, set := range d.names {
		if len(set) > 0 {
			reg = append(reg, name)
		}
	}
	sort.Strings(reg)
	return append(out, reg...)
}

// reply queues the answer to m on c.
func (c *wsConn) reply(m Message, data map[string]any) {
	raw, err := marshalSorted(data)
	if err != nil {
		return
	}
	c.send(encodeMessage(responseTo(m, json.RawMessage(raw))))
}
