package activitypub_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestFedifyQuote has a real Fedify server (set FEDSITE_FEDIFY=1; CI does) quote an article of
// @news with a FEP-044f QuoteRequest. Under the default policy Fedify gets an Accept whose result
// it fetches by id and reads as a QuoteAuthorization of @news for its post and the article, and
// the quote is counted; under the policy nobody it gets a Reject and nothing is counted.
func TestFedifyQuote(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	tests := []struct {
		name   string
		policy activitypub.QuotePolicy
		want   string
	}{
		{"anyone", activitypub.QuoteDefault, "Accept"},
		{"nobody", activitypub.QuoteNobody, "Reject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
				c.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
					if name == "news" {
						return &activitypub.Actor{Username: "news", Name: "News"}, nil
					}
					return nil, activitypub.ErrNotFound
				})
			})
			article := s.url("/articles/quoted-" + tt.name)
			if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "Quoted",
				QuotePolicy: tt.policy}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			news := s.fed.ActorID("news")
			reqID, noteID, err := peer.Quote(ctx, news, article, "<p>Worth a read</p>")
			if err != nil {
				t.Fatalf("Fedify QuoteRequest: %v\n%s", err, peer.Stderr())
			}
			var got fedifypeer.QuoteAnswer
			for {
				got, err = peer.VerifyQuote(ctx, reqID)
				if _, pending := errors.AsType[*fedifypeer.ControlError](err); !pending || ctx.Err() != nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("no answer to the QuoteRequest reached Fedify: %v\n%s", err, peer.Stderr())
			}
			if got.Answer != tt.want || !got.Verified {
				t.Fatalf("Fedify got %+v, want a verified %s", got, tt.want)
			}
			wantCount := 0
			if tt.want == "Accept" {
				wantCount = 1
				if got.Error != "" || got.Authorization == "" || got.AttributedTo != news ||
					got.InteractingObject != noteID || got.InteractionTarget != article {
					t.Errorf("Fedify read the authorization as %+v, want one of %s for %s quoting %s", got, news, noteID, article)
				}
			}
			c, err := s.fed.Counts(t.Context(), article)
			if err != nil {
				t.Fatal(err)
			}
			if c.Quotes != wantCount {
				t.Errorf("Counts.Quotes = %d, want %d", c.Quotes, wantCount)
			}
		})
	}
}
