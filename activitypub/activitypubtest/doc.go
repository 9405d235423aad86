// Package activitypubtest provides a fake fediverse server for tests of code that federates with
// fedsite, as net/http/httptest does for HTTP.
//
// A [Remote] runs on loopback with one actor and a real RSA key: it signs what it sends and
// verifies, with package signing, every activity delivered to its inboxes, recording each
// delivery so a test can assert on what the site sent.
package activitypubtest
