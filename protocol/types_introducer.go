package protocol

// RequestPeersIntroducer asks an introducer for a list of peers. It has no
// fields.
type RequestPeersIntroducer struct{}

// RespondPeersIntroducer is an introducer's answer to
// RequestPeersIntroducer.
type RespondPeersIntroducer struct {
	PeerList []TimestampedPeerInfo `json:"peer_list"`
}

// TimestampedPeerInfo is a peer address together with the time it was
// last seen, as exchanged by peer discovery.
type TimestampedPeerInfo struct {
	Host      string `json:"host"`
	Port      uint16 `json:"port"`
	Timestamp uint64 `json:"timestamp"`
}
