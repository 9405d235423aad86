package webfinger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/fedsite/fedsite/webfinger"
)

// The site answers for its own accounts and actor URLs; everything else is not found.
func ExampleNewHandler() {
	h, err := webfinger.NewHandler(webfinger.HandlerConfig{
		BaseURL: "https://example.com",
		Resolver: webfinger.ResolverFunc(func(ctx context.Context, r webfinger.Resource) (*webfinger.JRD, error) {
			if r.Host != "example.com" || (r.User != "news" && r.URL != "https://example.com/actors/news") {
				return nil, webfinger.ErrNotFound
			}
			return &webfinger.JRD{
				Subject: "acct:news@example.com",
				Aliases: []string{"https://example.com/actors/news"},
				Links: []webfinger.Link{
					{Rel: "self", Type: webfinger.MediaTypeActivity, Href: "https://example.com/actors/news"},
				},
			}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, resource := range []string{"acct:news@example.com", "acct:nobody@example.com"} {
		resp, err := http.Get(srv.URL + "/.well-known/webfinger?resource=" + url.QueryEscape(resource))
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
		fmt.Print(string(body))
		fmt.Println()
	}
	// Output:
	// 200 application/jrd+json
	// {"subject":"acct:news@example.com","aliases":["https://example.com/actors/news"],"links":[{"rel":"self","type":"application/activity+json","href":"https://example.com/actors/news"}]}
	// 404 text/plain; charset=utf-8
	// resource not found
}

// A client turns a handle into the actor's id. The server here is a loopback test server, so the
// client is allowed plain http; on the public network leave InsecureAllowHTTP unset.
func ExampleClient_Lookup() {
	// The handler's BaseURL must name the server itself, since the client follows host-meta's
	// lrdd template after a 404.
	srv := httptest.NewUnstartedServer(nil)
	host := srv.Listener.Addr().String()
	h, err := webfinger.NewHandler(webfinger.HandlerConfig{
		BaseURL: "http://" + host,
		Resolver: webfinger.ResolverFunc(func(ctx context.Context, r webfinger.Resource) (*webfinger.JRD, error) {
			if r.User != "alice" {
				return nil, webfinger.ErrNotFound
			}
			return &webfinger.JRD{
				Subject: r.String(),
				Links:   []webfinger.Link{{Rel: "self", Type: webfinger.MediaTypeActivity, Href: "https://example.com/users/alice"}},
			}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()

	c, err := webfinger.NewClient(webfinger.ClientConfig{InsecureAllowHTTP: true})
	if err != nil {
		log.Fatal(err)
	}
	jrd, err := c.Lookup(context.Background(), "@alice@"+host)
	if err != nil {
		log.Fatal(err)
	}
	actor, err := jrd.ActorID()
	fmt.Println(actor, err)

	_, err = c.Lookup(context.Background(), "acct:bob@"+host)
	fmt.Println(errors.Is(err, webfinger.ErrNotFound))
	// Output:
	// https://example.com/users/alice <nil>
	// true
}

func ExampleParseResource() {
	for _, s := range []string{
		"acct:Alice@Example.COM",
		"@alice@example.com",
		"acct:juliet%40capulet.example@shopping.example",
		"https://Example.com/users/alice",
		"acct:alice@evil.example@example.com",
	} {
		r, err := webfinger.ParseResource(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%s user=%q host=%q\n", r, r.User, r.Host)
	}
	// Output:
	// acct:Alice@example.com user="Alice" host="example.com"
	// acct:alice@example.com user="alice" host="example.com"
	// acct:juliet%40capulet.example@shopping.example user="juliet@capulet.example" host="shopping.example"
	// https://example.com/users/alice user="" host="example.com"
	// error: webfinger: invalid resource "acct:alice@evil.example@example.com": more than one @ (write "%40" for an @ in the user)
}
