// Command redis serves a Federation over redisstore, for the binary sizes in BENCHMARKS.md.
package main

import (
	"context"
	"log"

	"github.com/fedsite/fedsite/internal/testbed/linksize"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/redis/go-redis/v9"
)

func main() {
	st, err := redisstore.New(redisstore.Config{Client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(linksize.Serve(context.Background(), st))
}
