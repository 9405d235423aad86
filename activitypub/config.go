package activitypub

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/internal/ssrf"
	"github.com/fedsite/fedsite/store"
)

// Config configures a [Federation]. The zero value of every optional field is its documented default.
// Settings that belong together have a type of their own: how the site's content goes out (the
// rendering Mode, TagURL, PageSize and OmitProofs) is in Publishing, and what the inbox does with
// what arrives (its hooks and IgnoreDislikes) is in Inbox.
type Config struct {
	// BaseURL is the site's public origin, such as "https://news.example.com". Every ActivityPub id
	// derives from it and published articles must live on its host. Required.
	BaseURL string

	// FormerBaseURL is the origin the site was served at before it moved to BaseURL, a rebrand
	// from "https://old.example" to "https://new.example", set together with the new BaseURL
	// while the old domain still reaches this process (DNS, proxy and certificate kept). With it,
	// the site's actors carry their former ids in alsoKnownAs, and the Middleware answers requests
	// whose Host is the former host as the site that moved (see [Federation.MigrateDomain]): the
	// former actor documents, with movedTo once the migration sent their Move, the former
	// collections, activities and notes as they were stored, WebFinger for the former handles
	// pointing to the new actors, and a 301 to the same path on BaseURL for everything else, the
	// article pages in HTML and AS2 among them. The proxy must pass the Host header through.
	// Default: "", the site never moved.
	FormerBaseURL string

	// Actors tells fedsite which of the site's actors exist. Required.
	Actors ActorSource

	// Store keeps the site's federation state: followers, published objects and outboxes, keys,
	// remote actors, received interactions, follow requests and blocks. It may be the site's own
	// database behind a [store.Site] it implements. Audit entries go to it when it implements
	// store.Audit. Required.
	Store store.Site

	// DeliveryStore keeps the delivery queue, the per-inbox delivery records and the per-host
	// circuit breaker state, durably, for every instance sharing it. Set it to run delivery on another
	// backend than Store, such as Redis Streams (store/redisstore) or SQLite (store/sqlstore)
	// beside a Store over the site's own database. Default: Store, when it also implements
	// store.Delivery, as every adapter in fedsite does; New fails without either.
	DeliveryStore store.Delivery

	// Client sends every outgoing request: actor and key fetches (signed by the instance actor) and
	// deliveries (signed by the publishing actor). Its Transport is the base the signatures are added
	// to. Default: a client with a 30 s timeout that refuses to connect to loopback, private,
	// link-local (cloud metadata) and other special addresses (see Insecure.AllowAddresses). A
	// Client set here must do that guarding itself.
	Client *http.Client

	// Logger receives the federation's logs. Default: logs are discarded.
	Logger *slog.Logger

	// Telemetry names the OpenTelemetry providers that receive fedsite's metrics and spans
	// (see [Telemetry]). Default: none, nothing is reported, at no cost.
	Telemetry Telemetry

	// UserAgent is sent on every outgoing request. Default: "fedsite (+BaseURL)".
	UserAgent string

	// MaxBodyBytes caps incoming inbox bodies and fetched documents. Default: 1 MiB, as Mastodon.
	MaxBodyBytes int64

	// Delivery tunes the delivery engine that Run drives: how many deliveries go out at once, in
	// all and per host, the request timeout, the retry policy and the per-host circuit breaker,
	// whose state is kept in DeliveryStore, so that every instance shares it. Default: the zero
	// [delivery.Options], every field its documented default.
	Delivery delivery.Options

	// OnFollowersGone is told about removed followers, once per delivery inbox: those behind an
	// inbox that answered 404 or 410 to a delivery, those a block covers (BlockDomain,
	// BlockActor), and a remote actor that sent a Block of the site actor it followed. Default:
	// nil, the removal is only logged.
	OnFollowersGone func(ctx context.Context, inbox string, removed []store.Follower)

	// RemoteActorTTL is how long a fetched remote actor is used before it is fetched again.
	// Default: 24 h.
	RemoteActorTTL time.Duration

	// Publishing says how the site's content goes out (see [Publishing]). Default: the zero
	// Publishing, every field its documented default.
	Publishing Publishing

	// Node is what NodeInfo says of the site (see [Node]). Default: the BaseURL host name as its
	// name, and no description.
	Node Node

	// WebFingerDomain is the host of the site's handles when it differs from the BaseURL host: with
	// "example.com" and BaseURL "https://social.example.com" the actors are @news@example.com.
	// WebFinger then answers acct:news@example.com (and acct: on the BaseURL host) with that
	// subject, and actor documents carry it in "webfinger" (FEP-2c59). The site must make
	// https://example.com/.well-known/webfinger reach fedsite: redirect it (301/302, keeping the
	// query) to the BaseURL host or proxy it there, and likewise /.well-known/host-meta, as
	// Mastodon's LOCAL_DOMAIN/WEB_DOMAIN setup requires. Default: the BaseURL host.
	WebFingerDomain string

	// Authorize decides whether a user of the site may do what a call asks as a site actor; every
	// exported method that acts as one (publish, update, delete, announce, approve or reject a
	// follower, read its mentions, move or delete it, block or unblock for the site, migrate the
	// site's domain) asks it
	// first, with the [Act]: the user that [WithUser] put in the call's context ("" for none, which
	// Authorize decides too), the [Action], the actor's username and what it is about. The site's
	// own sign-in and roles answer; ctx is the call's, so it may read the site's own values too.
	// When it says no, the method does nothing, audits the refusal and returns an error matching
	// ErrForbidden. It must be safe for concurrent use. Default: nil, everything is allowed.
	Authorize func(ctx context.Context, act Act) bool

	// Insecure loosens the guards on outgoing requests for tests and local development on
	// loopback; never set it on the public network. Default: the zero [Insecure], every field its
	// documented default.
	Insecure Insecure

	// RequireSignedFetch makes GETs of the site's actors, collections, activities and published
	// objects require a valid HTTP signature (401 without one, 403 for a blocked signer), as
	// Mastodon's authorized fetch mode does. WebFinger, host-meta and the instance actor stay
	// public so that others can verify fedsite's own signed fetches. Default: false, every
	// document is public.
	RequireSignedFetch bool

	// Inbox says what the inbox does with what arrives (see [InboxOptions]): whether it keeps
	// Dislikes, and optional hooks for replies, mentions and direct messages, likes, announces,
	// reports, follow requests and moves received in the inbox. Default: the zero InboxOptions,
	// every field its documented default.
	Inbox InboxOptions

	// Retention says how long the record of activities (see [Federation.Recording]) and the
	// operational data are kept, and how often Run prunes them. Default: the zero [Retention],
	// every field its documented default.
	Retention Retention

	// Now tells the time. Default: time.Now. Tests set it to check signatures made at a fixed time.
	Now func() time.Time
}

// Publishing says how the site's content goes out: how articles render, where their hashtags link,
// how many items a collection page holds and whether activities carry integrity proofs.
type Publishing struct {
	// Mode is how Publish renders an Article whose Mode is ModeDefault. Default: ModeArticle.
	// [Mode] compares the modes per server.
	Mode Mode

	// TagURL returns the address of the site's page for a hashtag, given without '#' as the
	// article spelt it; it is the Hashtag tag's href and the link in content. Default:
	// BaseURL + "/tags/" + the lower-cased, path-escaped tag.
	TagURL func(tag string) string

	// PageSize is how many items a collection page holds. Default: 20.
	PageSize int

	// OmitProofs stops fedsite from adding an FEP-8b32 object integrity proof to the activities
	// the site's actors send. Default: false, every activity is signed once, when it is stored, by
	// its actor's Ed25519 key (published in the actor's assertionMethod as a Multikey) with the
	// eddsa-jcs-2022 cryptosuite, and the data integrity context is added to its @context, so that
	// servers that verify proofs (Mastodon 4.7, Fedify, Mitra) can trust it when it is forwarded.
	OmitProofs bool
}

// Retention is the site's retention rule for the record of activities and for the operational
// data, declared once: what a compliance officer states. [Federation.Run] applies it.
type Retention struct {
	// Record is how long an entry of the record is kept after it was recorded, such as 7 years
	// (7 * 365 * 24 * time.Hour); entries a legal hold covers stay longer (see
	// [Federation.PutLegalHold]). Zero keeps every entry.
	Record time.Duration
	// Operational is how long the operational data is kept, when the store prunes it (see
	// [store.Pruner]): dead letters (jobs the queue gave up on) that died longer ago, cached
	// remote actors not fetched since (they are fetched again when needed), seen activity ids
	// that expired, and the delivery records, finished longer ago, of the objects the site
	// deleted longer ago. The delivery records of an object that is not deleted are kept as long
	// as it is: they are how an Update or Delete of it reaches every inbox that got it. Legal
	// holds do not apply: they hold the record of activities, not operational data. Default: 30
	// days; a negative value keeps operational data for ever.
	Operational time.Duration
	// Every is how often Run prunes, both the record and the operational data. Default: once a
	// day.
	Every time.Duration
}

const (
	// defaultPruneEvery is Retention.Every's default.
	defaultPruneEvery = 24 * time.Hour
	// defaultOperational is Retention.Operational's default.
	defaultOperational = 30 * 24 * time.Hour
)

// Insecure holds the two settings that let fedsite reach peers on loopback or over plain http, for
// tests and demos. Both are off by default and must stay off on the public network.
type Insecure struct {
	// AllowHTTP lets fedsite fetch remote actors and keys over plain http. Default: https only.
	AllowHTTP bool

	// AllowAddresses lists address prefixes the default Client may connect to although they are
	// loopback, private, link-local or otherwise special (see internal/ssrf): tests and demos on
	// loopback set 127.0.0.0/8. It has no effect on a Client the site provides, which must guard
	// its own dialer. Default: none — the default Client refuses every such address, checked on
	// the resolved address of each connection and each redirect.
	AllowAddresses []netip.Prefix
}

const (
	defaultMaxBody        = 1 << 20
	defaultRemoteActorTTL = 24 * time.Hour
	defaultPageSize       = 20
	defaultClientTimeout  = 30 * time.Second
)

// withDefaults returns a copy of cfg with every zero optional field set to its default; the
// caller's Config is never written to.
func (cfg Config) withDefaults() Config {
	if cfg.Client == nil {
		cfg.Client = ssrf.NewClient(ssrf.Config{Allow: cfg.Insecure.AllowAddresses, Timeout: defaultClientTimeout})
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "fedsite (+" + cfg.BaseURL + ")"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.RemoteActorTTL <= 0 {
		cfg.RemoteActorTTL = defaultRemoteActorTTL
	}
	if cfg.Publishing.Mode == ModeDefault {
		cfg.Publishing.Mode = ModeArticle
	}
	if cfg.Publishing.PageSize <= 0 {
		cfg.Publishing.PageSize = defaultPageSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Retention.Every <= 0 {
		cfg.Retention.Every = defaultPruneEvery
	}
	if cfg.Retention.Operational == 0 {
		cfg.Retention.Operational = defaultOperational
	}
	return cfg
}

// Node is the site as NodeInfo describes it to other servers: Name, such as "Example News", and
// Description go out as nodeName and nodeDescription in its metadata, where GoToSocial, Misskey,
// Akkoma and server directories take the title and description they show for the site.
type Node struct {
	Name, Description string
}
