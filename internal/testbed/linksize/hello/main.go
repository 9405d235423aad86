// Command hello is a bare net/http server, the baseline of the binary sizes in BENCHMARKS.md.
package main

import (
	"io"
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}
