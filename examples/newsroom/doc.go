// Command newsroom is a small news site that federates its articles with fedsite: the site in
// site.go exists on its own, and federate.go adds the fediverse in about fifty lines.
//
// Usage:
//
//	go run ./examples/newsroom [-addr 127.0.0.1:8080] [-base-url URL] [-data DIR] [-editor-password PW]
//
// The editor password comes from -editor-password or NEWSROOM_EDITOR_PASSWORD; without either a
// random one is made and logged at start. Articles and federation state are kept in DIR.
package main
