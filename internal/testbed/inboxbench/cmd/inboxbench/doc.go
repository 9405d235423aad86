// Command inboxbench loads a fedsite inbox on loopback with pre-signed POSTs and prints the
// accepted rate, latency percentiles and the raw RSA-2048 verification rate of the machine.
package main
