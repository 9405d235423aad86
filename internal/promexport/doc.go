// Package promexport serves fedsite's OpenTelemetry metrics in the Prometheus format, for the
// programs of this repository: the newsroom, the fedsite program and the delivery benchmark.
package promexport
