// Package standings keeps, for one Nakama node, the leaderboard records of rated players as the node last
// wrote or read them, so that a game's end need not read the leaderboard again (docs/NAKAMA-GO.md, "A
// game's end"). It holds because only this module writes its leaderboard and an open-source Nakama is
// one node: what the node last wrote for a user is what a read would return.
//
// Standard library only; the plugin (main.go) wraps Nakama's leaderboard calls with it.
package standings

import "sync"

// DefaultMax is the number of users a cache holds at most unless told otherwise.
const DefaultMax = 100_000

// Cache is safe for use by many goroutines (Nakama runs every match in its own). A nil *Cache caches nothing:
// every call goes to the leaderboard.
type Cache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*entry
	clock   uint64 // counts writes begun and evictions
	evicted uint64 // the clock at the last eviction
}

type entry struct {
	meta    []byte // the record's metadata, if record
	record  bool   // the user has a record
	held    bool   // meta and record are what the leaderboard holds
	pending int    // writes under way
	gen     uint64 // the clock when the last write began
}

// New makes a cache of at most max users (DefaultMax if max < 1).
func New(max int) *Cache {
	if max < 1 {
		max = DefaultMax
	}
	return &Cache{max: max, entries: make(map[string]*entry)}
}

// Len is the number of users the cache has an entry for.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Read answers owner id -> the metadata of their record (owners without a record are absent): from the cache
// for the owners it holds, the others through read, called once with only those, and kept unless a write for
// them began or was under way meanwhile (the read may then have seen either). The slices returned are shared:
// callers must not change them. An error of read is returned as it is, with nothing kept.
func (c *Cache) Read(owners []string, read func(missing []string) (map[string][]byte, error)) (map[string][]byte,
	error) {
	if c == nil {
		return read(owners)
	}
	out := make(map[string][]byte, len(owners))
	var missing []string
	c.mu.Lock()
	ticket := c.clock
	for _, o := range owners {
		if e := c.entries[o]; e != nil && e.held {
			if e.record {
				out[o] = e.meta
			}
		} else {
			missing = append(missing, o)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	found, err := read(missing)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range missing {
		meta, record := found[o]
		if record {
			out[o] = meta
		}
		e := c.entries[o]
		switch {
		case e == nil && c.evicted > ticket:
			// An entry may have been dropped with a write after the read began: the read may be stale.
		case e == nil:
			c.entries[o] = &entry{meta: meta, record: record, held: true}
			c.bound()
		case e.pending == 0 && e.gen <= ticket:
			e.meta, e.record, e.held = meta, record, true
		}
	}
	return out, nil
}

// Write runs write, which writes owner's record and returns the record's metadata as the leaderboard then
// holds it (Nakama's LeaderboardRecordWrite answers the stored record, which is the one it had when a write
// changes neither score nor subscore), and returns write's error. On success the cache holds that metadata,
// unless another write for owner overlapped this one (then which one the leaderboard kept is unknown, and the
// next read asks it); on failure the cache forgets owner's record.
func (c *Cache) Write(owner string, write func() ([]byte, error)) error {
	if c == nil {
		_, err := write()
		return err
	}
	c.mu.Lock()
	c.clock++
	mine := c.clock
	e := c.entries[owner]
	if e == nil {
		e = &entry{}
		c.entries[owner] = e
	}
	e.gen, e.pending, e.held, e.record, e.meta = mine, e.pending+1, false, false, nil
	c.bound() // keeps e: a write is under way
	c.mu.Unlock()

	meta, err := write()

	c.mu.Lock()
	defer c.mu.Unlock()
	e.pending--
	if err == nil && e.pending == 0 && e.gen == mine {
		e.meta, e.record, e.held = meta, true, true
	}
	return err
}

// bound drops entries with no write under way once the cache holds more than its maximum, an eighth of it at
// a time (whichever entries the map yields first). Called with c.mu held.
func (c *Cache) bound() {
	if len(c.entries) <= c.max {
		return
	}
	keep := c.max - c.max/8
	for o, e := range c.entries {
		if len(c.entries) <= keep {
			break
		}
		if e.pending == 0 {
			delete(c.entries, o)
		}
	}
	c.clock++
	c.evicted = c.clock
}
