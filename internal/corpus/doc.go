// Package corpus holds the real federation payloads that fedsite's tests read: actors,
// activities and objects from 25 ActivityPub implementations, WebFinger and NodeInfo answers,
// HTTP signature vectors and JSON-LD contexts, 559 files in all.
//
// The files live in the data folder beside this package, byte for byte as collected; data/SOURCES.md
// names the repository, commit and path each one came from. They are embedded, so a test reads
// them from any package directory and a fresh clone needs nothing beside the repository.
//
// Names are slash-separated paths inside the corpus, such as
// "mastodon/activities_create_note.json". [ReadFile] returns one file; [JSON] returns every JSON
// payload of a folder, and [Seed] adds them to a fuzz target's seed corpus.
package corpus
