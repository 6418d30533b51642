package standings

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// board is a leaderboard: the truth the cache must agree with, and a count of the reads it answered.
type board struct {
	mu      sync.Mutex
	records map[string][]byte
	reads   [][]string
	down    bool
}

func newBoard() *board { return &board{records: map[string][]byte{}} }

func (b *board) read(missing []string) (map[string][]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reads = append(b.reads, append([]string(nil), missing...))
	if b.down {
		return nil, errors.New("the leaderboard is down")
	}
	out := map[string][]byte{}
	for _, o := range missing {
		if m, ok := b.records[o]; ok {
			out[o] = m
		}
	}
	return out, nil
}

// writer writes meta as owner's record and answers the record.
func (b *board) writer(owner string, meta []byte) func() ([]byte, error) {
	return func() ([]byte, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.down {
			return nil, errors.New("the leaderboard is down")
		}
		b.records[owner] = meta
		return meta, nil
	}
}

func (b *board) readCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.reads)
}

func mustRead(t *testing.T, c *Cache, b *board, owners ...string) map[string][]byte {
	t.Helper()
	out, err := c.Read(owners, b.read)
	if err != nil {
		t.Fatalf("read %v: %v", owners, err)
	}
	return out
}

func TestReadsAskOnlyForOwnersNotHeldAndKeepThemWithOrWithoutARecord(t *testing.T) {
	b, c := newBoard(), New(0)
	b.records["ann"] = []byte(`{"rating":1600}`)
	out := mustRead(t, c, b, "ann", "bob")
	if string(out["ann"]) != `{"rating":1600}` || len(out) != 1 {
		t.Fatalf("first read: %q", out)
	}
	b.records["ann"] = []byte(`{"rating":1}`) // not this node's write: the cache cannot know (nor need to)
	out = mustRead(t, c, b, "ann", "bob", "cat")
	if string(out["ann"]) != `{"rating":1600}` || len(out) != 1 {
		t.Fatalf("second read: %q", out)
	}
	if fmt.Sprint(b.reads) != "[[ann bob] [cat]]" {
		t.Fatalf("the leaderboard was asked %v, want [[ann bob] [cat]]", b.reads)
	}
}

func TestAWriteIsWhatTheNextReadGetsWithoutAskingTheLeaderboard(t *testing.T) {
	b, c := newBoard(), New(0)
	mustRead(t, c, b, "ann", "bob")
	if err := c.Write("ann", b.writer("ann", []byte(`{"rating":1510}`))); err != nil {
		t.Fatal(err)
	}
	out := mustRead(t, c, b, "ann", "bob")
	if string(out["ann"]) != `{"rating":1510}` || b.readCount() != 1 {
		t.Fatalf("after the write: %q, %d reads of the leaderboard", out, b.readCount())
	}
}

func TestAFailedWriteOrReadIsNotKeptAndTheNextReadAsksAgain(t *testing.T) {
	b, c := newBoard(), New(0)
	b.records["ann"] = []byte(`{"rating":1600}`)
	mustRead(t, c, b, "ann")
	b.down = true
	if err := c.Write("ann", b.writer("ann", []byte(`{"rating":1610}`))); err == nil {
		t.Fatal("the write's error was lost")
	}
	if _, err := c.Read([]string{"ann"}, b.read); err == nil {
		t.Fatal("the read's error was lost")
	}
	b.down = false
	out := mustRead(t, c, b, "ann")
	if string(out["ann"]) != `{"rating":1600}` || b.readCount() != 3 {
		t.Fatalf("after a failed write: %q, %d reads of the leaderboard, want the board's record and 3", out,
			b.readCount())
	}
}

func TestAReadThatOverlapsAWriteDoesNotReplaceIt(t *testing.T) {
	b, c := newBoard(), New(0)
	b.records["ann"] = []byte(`{"rating":1600}`)
	// The read sees the old record, and the write of a match ending meanwhile lands before the read returns.
	stale := func(missing []string) (map[string][]byte, error) {
		out, err := b.read(missing)
		if err := c.Write("ann", b.writer("ann", []byte(`{"rating":1620}`))); err != nil {
			t.Error(err)
		}
		return out, err
	}
	if out, err := c.Read([]string{"ann"}, stale); err != nil || string(out["ann"]) != `{"rating":1600}` {
		t.Fatalf("the overlapping read: %q, %v", out, err)
	}
	if out := mustRead(t, c, b, "ann"); string(out["ann"]) != `{"rating":1620}` || b.readCount() != 1 {
		t.Fatalf("after it: %q, %d reads of the leaderboard, want the write and 1", out, b.readCount())
	}
}

func TestOverlappingWritesOfOneUserLeaveTheNextReadToTheLeaderboard(t *testing.T) {
	b, c := newBoard(), New(0)
	// The first write commits, then a second one begins, commits and returns, then the first returns: the
	// leaderboard keeps the second, and the first must not be kept as the cache's answer.
	first := func() ([]byte, error) {
		meta, err := b.writer("ann", []byte(`{"rating":1}`))()
		if err != nil {
			return nil, err
		}
		return meta, c.Write("ann", b.writer("ann", []byte(`{"rating":2}`)))
	}
	if err := c.Write("ann", first); err != nil {
		t.Fatal(err)
	}
	if out := mustRead(t, c, b, "ann"); string(out["ann"]) != `{"rating":2}` || b.readCount() != 1 {
		t.Fatalf("after two overlapping writes: %q, %d reads of the leaderboard, want the last commit and 1", out,
			b.readCount())
	}
}

func TestTheCacheStaysWithinItsBoundAndKeepsWritesUnderWay(t *testing.T) {
	b, c := newBoard(), New(16)
	err := c.Write("ann", func() ([]byte, error) {
		for i := 0; i < 100; i++ {
			mustRead(t, c, b, fmt.Sprintf("user%d", i))
			if n := c.Len(); n > 16 {
				t.Fatalf("%d users held, the bound is 16", n)
			}
		}
		return b.writer("ann", []byte(`{"rating":1}`))()
	})
	if err != nil {
		t.Fatal(err)
	}
	before := b.readCount()
	if out := mustRead(t, c, b, "ann"); string(out["ann"]) != `{"rating":1}` || b.readCount() != before {
		t.Fatalf("the write under way was dropped: %q, %d reads", out, b.readCount()-before)
	}
}

func TestANilCacheAsksTheLeaderboardEveryTime(t *testing.T) {
	var c *Cache
	b := newBoard()
	if err := c.Write("ann", b.writer("ann", []byte(`{}`))); err != nil {
		t.Fatal(err)
	}
	mustRead(t, c, b, "ann")
	mustRead(t, c, b, "ann")
	if b.readCount() != 2 || c.Len() != 0 {
		t.Fatalf("%d reads, %d held", b.readCount(), c.Len())
	}
}

// Matches in many goroutines read and write the same few users at once: afterwards every read the cache
// answers is the leaderboard's record.
func TestConcurrentMatchesNeverLeaveTheCacheDisagreeingWithTheLeaderboard(t *testing.T) {
	b, c := newBoard(), New(4)
	users := []string{"ann", "bob", "cat", "dan", "eve", "fay"}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				a, o := users[(g+i)%len(users)], users[(g+2*i+1)%len(users)]
				if _, err := c.Read([]string{a, o}, b.read); err != nil {
					t.Error(err)
					return
				}
				meta := []byte(fmt.Sprintf(`{"by":%d,"n":%d}`, g, i))
				if err := c.Write(a, b.writer(a, meta)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, u := range users {
		out := mustRead(t, c, b, u)
		if string(out[u]) != string(b.records[u]) {
			t.Fatalf("%s: the cache says %q, the leaderboard %q", u, out[u], b.records[u])
		}
	}
}

// Nakama keeps a record as it was when a "set" changes neither score nor subscore, and answers that record.
func TestTheCacheKeepsTheRecordTheWriteAnswers(t *testing.T) {
	b, c := newBoard(), New(0)
	b.records["ann"] = []byte(`{"aborts_in_a_row":0}`)
	kept := func() ([]byte, error) { return b.records["ann"], nil }
	if err := c.Write("ann", kept); err != nil {
		t.Fatal(err)
	}
	if out := mustRead(t, c, b, "ann"); string(out["ann"]) != `{"aborts_in_a_row":0}` || b.readCount() != 0 {
		t.Fatalf("after a write the leaderboard did not take: %q, %d reads", out, b.readCount())
	}
}
