package xoxo

import (
	"testing"
)

type nullServer struct{ sent int }

func (s *nullServer) NowMillis() int64                                     { return 1_700_000_000_000 }
func (s *nullServer) StoreGame(collection, key string, value []byte) error { return nil }
func (s *nullServer) Standings(board string, owners []string) (map[string][]byte, error) {
	return map[string][]byte{}, nil
}
func (s *nullServer) WriteStanding(board, owner, username string, score, subscore int64, metadata map[string]any) error {
	return nil
}
func (s *nullServer) Together(calls ...func()) {
	for _, call := range calls {
		call()
	}
}
func (s *nullServer) Info(msg string)                               {}
func (s *nullServer) Warn(msg string)                               {}
func (s *nullServer) Error(msg string)                              {}
func (s *nullServer) Send(opCode int64, data []byte, to []Presence) { s.sent++ }
func (s *nullServer) Kick(p Presence)                               {}
func (s *nullServer) Label(label string)                            {}

var (
	ann = Presence{UserID: "a1111111-1111-4111-8111-111111111111", SessionID: "a2222222-2222-4222-8222-222222222222",
		Username: "ann", Node: "nakama1"}
	bob = Presence{UserID: "b1111111-1111-4111-8111-111111111111", SessionID: "b2222222-2222-4222-8222-222222222222",
		Username: "bob", Node: "nakama1"}
	topRow = [][]byte{[]byte(`{"row":1,"col":1}`), []byte(`{"row":2,"col":1}`), []byte(`{"row":1,"col":2}`),
		[]byte(`{"row":2,"col":2}`), []byte(`{"row":1,"col":3}`)}
)

// playMatch: two revision-4 players join a rated match, play a game to a line, a rematch and the same again, one leaves.
func playMatch(srv *nullServer) *Match {
	params := Params{Expected: []Presence{ann, bob}, HasExpected: true, Rated: true}
	m, _, _ := New(srv, "m.nakama1", DefaultSettings(), params)
	meta := map[string]string{"protocol": "4"}
	tick := int64(0)
	for _, p := range []Presence{ann, bob} {
		m.JoinAttempt(srv, tick, p, meta)
		m.Join(srv, tick, []Presence{p})
	}
	for game := 0; game < 2; game++ {
		first, second := ann, bob
		if game == 1 {
			first, second = bob, ann
		}
		for i, move := range topRow {
			who := first
			if i%2 == 1 {
				who = second
			}
			tick++
			m.Loop(srv, tick, []Message{{Sender: who, OpCode: OpMove, Data: move}})
		}
		tick++
		m.Loop(srv, tick, []Message{{Sender: ann, OpCode: OpRematch, Data: []byte("{}")},
			{Sender: bob, OpCode: OpRematch, Data: []byte("{}")}})
	}
	m.Leave(srv, tick, []Presence{{UserID: bob.UserID, SessionID: bob.SessionID, Reason: PresenceLeave}})
	return m
}

func TestAMatchIsPlayedToTheEnd(t *testing.T) {
	srv := &nullServer{}
	m := playMatch(srv)
	if !m.Ended() || m.game != 3 {
		t.Fatalf("ended %v after game %d, want the match over in game 3", m.Ended(), m.game)
	}
	if srv.sent == 0 {
		t.Fatal("nothing was sent")
	}
}

func BenchmarkTwoGamesOfAMatch(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		playMatch(&nullServer{})
	}
}
