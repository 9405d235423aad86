package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// feedState is what the sidecar keeps of the feed between runs, in a JSON file in the data
// folder: whether the first backfill is done, the validators for conditional GETs, the feed's
// title and description (the actor's profile), and every item it federated.
type feedState struct {
	Backfilled   bool                `json:"backfilled"`
	ETag         string              `json:"etag,omitempty"`
	LastModified string              `json:"lastModified,omitempty"`
	Profile      profile             `json:"profile"`
	Items        map[string]seenItem `json:"items"` // by article URL
}

// profile is what the feed says of the site, shown on the actor's profile.
type profile struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	ImageURL    string `json:"imageURL,omitempty"`
}

// seenItem is an item as last federated.
type seenItem struct {
	Hash    string    `json:"hash"`
	Updated time.Time `json:"updated,omitzero"`
}

// loadState reads the state file; a missing file is a fresh state.
func loadState(path string) (feedState, error) {
	st := feedState{Items: map[string]seenItem{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("fedsite: read state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("fedsite: read state %s: %w", path, err)
	}
	if st.Items == nil {
		st.Items = map[string]seenItem{}
	}
	return st, nil
}

// saveState writes the state file atomically: a temporary file in the same folder, synced, then
// renamed over the old one, so a crash leaves the old state or the new one, never half of one.
func saveState(path string, st feedState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("fedsite: save state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("fedsite: save state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("fedsite: save state: %w", err)
	}
	return nil
}
