// Command newsroom is a small news site that federates its articles with fedsite: the site in
// site.go exists on its own, and federate.go adds the fediverse in about fifty lines.
//
// Usage:
//
//	go run ./examples/newsroom [-addr 127.0.0.1:8080] [-base-url URL] [-data DIR] [-editor-password PW] [-staff-password PW]
//
// The managing editor's password comes from -editor-password or NEWSROOM_EDITOR_PASSWORD, and
// signs in with an empty login or "editor"; the staff logins sam (the sports editor, who may
// publish as @sports and as himself) and dana (a writer, as herself only) share -staff-password or
// NEWSROOM_STAFF_PASSWORD. Without them random passwords are made and logged at start. Articles and federation state are kept in DIR.
// The federation's metrics are at /metrics, in the Prometheus format, for clients on loopback.
package main
