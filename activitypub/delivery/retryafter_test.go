package delivery

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterOnEveryRetryableAnswer: a Retry-After that comes with any answer worth retrying
// (408, 429, 500, 502, 503, 504) holds the next attempt at least that long, far past the default
// schedule's second wait (1 s and up to a quarter more). On a test clock.
func TestRetryAfterOnEveryRetryableAnswer(t *testing.T) {
	const asked = time.Hour
	for _, code := range []int{
		http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
	} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			const inbox = "https://busy.test/inbox"
			var s *sim
			s = newSim(t, func(inbox string, _ time.Time) int {
				if len(s.hitsOf(inbox)) == 1 {
					return code
				}
				return http.StatusAccepted
			}, func(c *Config) {
				c.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					resp, err := s.roundTrip(r)
					resp.Header.Set("Retry-After", fmt.Sprint(int(asked/time.Second)))
					return resp, err
				})}
			})
			if err := s.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor, Inbox: inbox}); err != nil {
				t.Fatal(err)
			}
			s.drain(t)
			hits := s.hitsOf(inbox)
			if len(hits) != 2 {
				t.Fatalf("%d attempts, want 2", len(hits))
			}
			if gap := hits[1].Sub(hits[0]); gap < asked {
				t.Errorf("retried %v after a %d asking for %v", gap, code, asked)
			}
		})
	}
}
