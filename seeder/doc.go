// Package seeder is the DNS seeder of a Chia network: a crawler that
// finds and tries every full node it can hear of and keeps reliability
// statistics about each, a store that keeps them, and a DNS server that
// hands out reliable nodes.
package seeder
