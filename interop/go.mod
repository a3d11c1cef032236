module github.com/chianet/chianet/interop

go 1.26.8

require (
	github.com/chia-network/go-chia-libs v1.3.3
	github.com/chianet/chianet v0.0.0-00010101000000-000000000000
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/samber/mo v1.17.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace github.com/chianet/chianet => ../
