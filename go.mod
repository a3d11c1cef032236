module github.com/chianet/chianet

go 1.26.8

require (
	github.com/chia-network/go-chia-libs v1.3.3
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/miekg/dns v1.1.73
	github.com/spf13/cobra v1.10.2
	go.uber.org/goleak v1.3.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
