// Package pagecursor encodes the page cursors that the store adapters hand out for listings
// ordered by two strings, so each adapter reads the others' cursors the same way.
package pagecursor
