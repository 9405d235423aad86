package signing

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseSignatureHeader(t *testing.T) {
	tests := []struct {
		name, in string
		want     *sigParams
		err      string // a substring of the error; "" when the header parses
	}{
		{name: "plain", in: `keyId="https://a.example/u#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="c2ln"`,
			want: &sigParams{keyID: "https://a.example/u#main-key", algorithm: "rsa-sha256",
				headers: []string{"(request-target)", "host", "date"}, hasHeaders: true, signature: "c2ln"}},
		{name: "names and algorithm in any case, headers lower-cased", in: `KEYID="k", Algorithm="HS2019", HEADERS="Host Date", Signature="s"`,
			want: &sigParams{keyID: "k", algorithm: "hs2019", headers: []string{"host", "date"}, hasHeaders: true, signature: "s"}},
		{name: "quoted-pairs dropped", in: `keyId="a\"b\\c\d", signature="\x"`,
			want: &sigParams{keyID: `a"b\cd`, signature: "x"}},
		{name: "escape first", in: `keyId="\ab",signature="s"`, want: &sigParams{keyID: "ab", signature: "s"}},
		{name: "tokens, created and expires quoted or not", in: `Signature keyId=k, signature=s, created=1, expires="2"`,
			want: &sigParams{keyID: "k", signature: "s", created: "1", expires: "2"}},
		{name: "empty headers", in: `keyId="k",headers="",signature="s"`,
			want: &sigParams{keyID: "k", hasHeaders: true, headers: []string{}, signature: "s"}},
		{name: "unknown parameter ignored", in: `keyId="k",Foo="b\"ar",signature="s"`, want: &sigParams{keyID: "k", signature: "s"}},
		{name: "tab inside a quoted value", in: "keyId=\"a\tb\",signature=\"s\"", want: &sigParams{keyID: "a\tb", signature: "s"}},

		{name: "duplicate in another case", in: `keyId="a",signature="b",KEYID="c"`, err: `duplicate parameter "keyid"`},
		{name: "duplicate unknown", in: `keyId="a",x=1,signature="b",X=2`, err: `duplicate parameter "x"`},
		{name: "32 parameters", in: `keyId="k",signature="s"` + manyParams(30), want: &sigParams{keyID: "k", signature: "s"}},
		{name: "33 parameters", in: `keyId="k",signature="s"` + manyParams(31), err: "more than 32 parameters"},
		{name: "quote closed early", in: `keyId="a,signature="b`, err: `unexpected 'b' at 20`},
		{name: "unterminated at the end", in: `keyId="k",signature="b`, err: `parameter "signature": unterminated quoted string`},
		{name: "backslash at the end", in: `keyId="k",Signature="b\`, err: `parameter "signature": unterminated quoted string`},
		{name: "control character", in: "keyId=\"k\",Signature=\"b\x01\"", err: `parameter "signature": control character`},
		{name: "escaped control character", in: "keyId=\"k\",Signature=\"b\\\x7f\"", err: `parameter "signature": control character`},
		{name: "missing value", in: `KeyId=,signature="b"`, err: `parameter "keyid": missing value`},
		{name: "missing '='", in: `KeyId "k"`, err: `parameter "keyid": missing '='`},
		{name: "empty element", in: `keyId="k",,signature="s"`, err: `invalid character ',' at 10`},
		{name: "trailing comma", in: `keyId="k",signature="s", `, err: "empty parameter list element"},
		{name: "missing keyId", in: `signature="s"`, err: "missing keyId"},
		{name: "missing signature", in: `keyId="k"`, err: "missing signature"},
		{name: "created not an integer", in: `keyId="k",signature="s",created="1.5"`, err: "parameter created: not an integer"},
		{name: "too long", in: `keyId="` + strings.Repeat("k", maxSignatureHeader) + `",signature="s"`, err: "header too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSignatureHeader(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parse %q: got %#v, %v; want the error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse %q: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parse %q:\ngot  %#v\nwant %#v", tt.in, got, tt.want)
			}
		})
	}
}

// manyParams returns n unknown parameters, each led by a comma: ",p0=0,p1=1…".
func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ",p%d=%d", i, i)
	}
	return b.String()
}
