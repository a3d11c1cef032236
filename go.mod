module github.com/chianet/chianet

go 1.26.8

require github.com/chia-network/go-chia-libs v1.3.3 // indirect
