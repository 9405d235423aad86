package activitypub

import "context"

// Fetch dereferences iri as a remote server sees the site fetching it: a GET asking for AS2,
// signed by the instance actor (so servers in authorized-fetch mode answer; it reads only and acts
// as no site actor, so Config.Authorize is not asked), refused before any
// I/O when a block covers iri, through Config.Client with its address guard. It returns the
// document as received. The answer must be 200 with an AS2 content type, at most
// Config.MaxBodyBytes, and a document whose id is iri (a server speaks only for its own
// objects); otherwise Fetch returns an error, one matching ErrBlocked for a blocked iri and an
// *InvalidError for an iri that is not an https URL (http too with Config.Insecure.AllowHTTP).
func (f *Federation) Fetch(ctx context.Context, iri string) ([]byte, error) {
	body, _, err := f.remote.fetch(f.tel.fetching(ctx, fetchObject), iri)
	return body, err
}
