// Package jsonstr writes Go strings as JSON strings, the one escaper behind the vocab encoder and
// the signing package's JSON Canonicalization Scheme (RFC 8785). The two differ only in which
// characters they escape beyond those JSON requires, chosen by a [Form].
package jsonstr
