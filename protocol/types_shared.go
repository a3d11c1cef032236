package protocol

// Handshake is the first message on every connection; each side announces
// its network, versions, listening port, node type and capabilities.
type Handshake struct {
	NetworkID       string                `json:"network_id"`
	ProtocolVersion string                `json:"protocol_version"`
	SoftwareVersion string                `json:"software_version"`
	ServerPort      uint16                `json:"server_port"`
	NodeType        uint8                 `json:"node_type"`
	Capabilities    []HandshakeCapability `json:"capabilities"`
}

// HandshakeCapability is one (capability id, value) pair announced in a
// Handshake, for example (1, "1") for BASE.
//
//streamgen:tuple
type HandshakeCapability struct {
	Capability uint16 `json:"capability"`
	Value      string `json:"value"`
}

// ConfigureWindowSizes tells the peer how many in-flight messages of each
// type it may send.
type ConfigureWindowSizes struct {
	Settings []WindowSize `json:"settings"`
}

// WindowSize is one (message type, window size) setting of
// ConfigureWindowSizes.
//
//streamgen:tuple
type WindowSize struct {
	MessageType uint8  `json:"message_type"`
	WindowSize  uint16 `json:"window_size"`
}

// Error is the generic error reply: an Err code, a description and
// optional extra data.
type Error struct {
	Code    int16   `json:"code"`
	Message string  `json:"message"`
	Data    *[]byte `json:"data"`
}
