// Package xoxo is the tic-tac-toe match of nakama/xoxo_plus_match.lua (and game/match.py's
// XoxoMatch), message for message and byte for byte, for Nakama's Go runtime. It uses the
// standard library only: the plugin's main package adapts Nakama's runtime.Match to it, and
// cmd/xoxodiff drives it for the differential test.
//
// The match talks to its server through Host (time, storage, the leaderboard, the log) and,
// in each hook, a Dispatcher (send, kick, label). Time in the match is tick / tick rate, as
// in the Lua module.
package xoxo

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The op codes of docs/PROTOCOL.md.
const (
	OpMove         = 1
	OpState        = 2
	OpRejected     = 3
	OpRematch      = 4
	OpOpponentGone = 5
	OpClaim        = 6
	OpRating       = 7
	OpReaction     = 8
)

const (
	protocol         = 4
	revision3        = 3
	revision4        = 4
	reactionLimit    = 3
	reactionWindow   = 10.0
	empty            = -1
	timeoutsToRemove = 2
	returnSeconds    = 5.0
	// PresenceLeave is Nakama's presence reason of a match_leave; a closed socket is 4.
	PresenceLeave = 3
	systemUser    = "00000000-0000-0000-0000-000000000000"

	moveShape     = `a move must be JSON like {"row": 1, "col": 3}`
	outOfBounds   = "row and col must be whole numbers 1 to 3"
	unknownOp     = "that op code means nothing here"
	failedNotice  = "This match stopped because of a server error."
	claimShape    = `a claim must be JSON like {"claim": "win"} or {"claim": "draw"}`
	reactionShape = `a reaction must be JSON like {"reaction": "good_game"}, with one of the six reaction ids`
	notStarted    = "wait for your opponent to join"
)

// Presence is one session in the match, as Nakama describes it; Reason is set on a leave.
type Presence struct {
	UserID    string
	SessionID string
	Username  string
	Node      string
	Reason    int
}

// Message is one client message received since the last tick.
type Message struct {
	Sender Presence
	OpCode int64
	Data   []byte
}

// Dispatcher is what a hook may do to the match's players (Nakama's MatchDispatcher).
type Dispatcher interface {
	Send(opCode int64, data []byte, to []Presence)
	Kick(p Presence)
	Label(label string)
}

// Host is the server around the match (Nakama's NakamaModule and logger).
type Host interface {
	NowMillis() int64
	// StoreGame writes one finished game (value: a JSON object) as a storage object of the system user.
	StoreGame(collection, key string, value []byte) error
	// Standings reads the leaderboard records of owners: owner id -> the record's metadata (JSON text).
	Standings(board string, owners []string) (map[string][]byte, error)
	WriteStanding(board, owner, username string, score, subscore int64, metadata map[string]any) error
	// Together makes the calls, at the same time if it can (each on its own goroutine), and returns once all
	// have returned. The calls touch nothing the others do; a game's end writes its record and both
	// players' standings this way, so that the database works on all three at once.
	Together(calls ...func())
	Info(msg string)
	Warn(msg string)
	Error(msg string)
}

// Params are what the match is created with: the players the matchmaker paired, and whether it is rated.
type Params struct {
	Expected    []Presence
	HasExpected bool
	Rated       bool
}

// ParamsFrom reads match_create's params as Nakama hands them over (maps and lists of JSON-like values).
func ParamsFrom(params map[string]any) Params {
	var out Params
	if list, ok := params["expected"].([]any); ok {
		out.HasExpected = true
		for _, item := range list {
			m, ok := item.(map[string]any)
			if !ok {
				continue
			}
			uid, ok := m["user_id"].(string)
			if !ok {
				continue
			}
			p := Presence{UserID: uid}
			p.SessionID, _ = m["session_id"].(string)
			p.Username, _ = m["username"].(string)
			p.Node, _ = m["node"].(string)
			out.Expected = append(out.Expected, p)
		}
	}
	out.Rated, _ = params["rated"].(bool)
	return out
}

// at is a moment on the match's clock that may be unset.
type at struct {
	set bool
	t   float64
}

func when(t float64) at { return at{true, t} }

type seat struct {
	p            Presence
	json         string // the presence as the state lists players
	protocol     int
	connected    bool
	grace        at
	claimAt      at
	claimTold    bool
	wantsRematch bool
	timeouts     int
	aborts       int64
	reactedAt    []float64
}

type outcome struct {
	termination string
	winner      int // 0: none
	line        [][2]int
}

type board struct {
	cells  [9]int
	first  int
	toMove int
	moves  [][3]int
	out    *outcome
}

// Match is one match between two players, possibly many games long.
type Match struct {
	host           Host
	id             string
	settings       Settings
	expected       []Presence
	hasExpected    bool
	rated          bool
	seats          []*seat
	declared       map[string]int
	game           int
	gameText       string
	gameStartedAt  float64
	rematchMode    string
	ended          bool
	labelOpen      int
	labelGame      int
	label          string
	abortedBy      int
	board          *board
	turnDeadline   at
	turnRemaining  at
	rematch        at
	idle           at
	join           at
	countdownShown int
	countdownSet   bool
	news           []byte
	known          *[2]standing // the players' standings as this match last wrote or read them (nil: unknown)
	shownText      string
	turnText       string
	turnFullText   string
	graceText      string
}

func labelText(open, game int, rated bool) string {
	r := 0
	if rated {
		r = 1
	}
	return fmt.Sprintf(`{"protocol":%d,"open":%d,"game":%d,"rated":%d}`, protocol, open, game, r)
}

// New is match_init: the match, its tick rate and its label.
func New(host Host, matchID string, settings Settings, params Params) (*Match, int, string) {
	m := &Match{host: host, id: matchID, settings: settings, expected: params.Expected,
		hasExpected: params.HasExpected, rated: params.Rated, declared: map[string]int{}, rematchMode: "auto",
		labelOpen: 1}
	m.turnText = luaNumber(settings.TurnSeconds)
	m.turnFullText = luaNumber(rounded2(settings.TurnSeconds))
	m.graceText = luaNumber(settings.GraceSeconds)
	if params.HasExpected && len(params.Expected) > 0 {
		m.join = when(settings.JoinTimeoutSeconds)
	}
	m.label = labelText(1, 0, m.rated)
	return m, settings.TickRate, m.label
}

// Ended says whether the match is over (Nakama is to be told by a nil state).
func (m *Match) Ended() bool { return m.ended }

func (m *Match) now(tick int64) float64 { return float64(tick) / float64(m.settings.TickRate) }

// guard runs a hook's work; a panic (a bug) ends the match as the Lua module ends it.
func (m *Match) guard(d Dispatcher, hook string, work func()) (alive bool) {
	defer func() {
		if err := recover(); err != nil {
			m.host.Error(fmt.Sprintf("xoxo_plus: match %s failed in match_%s, ending it: %v", m.id, hook, err))
			if to := m.connected(); len(to) > 0 {
				d.Send(OpState, []byte(failedNotice), to)
			}
			m.ended = true
			alive = false
		}
	}()
	work()
	if m.ended {
		return false
	}
	open := 0
	if len(m.seats) < 2 {
		open = 1
	}
	if open != m.labelOpen || m.game != m.labelGame {
		label := labelText(open, m.game, m.rated)
		m.labelOpen, m.labelGame = open, m.game
		if label != m.label {
			d.Label(label)
			m.label = label
		}
	}
	return true
}

// JoinAttempt is match_join_attempt: whether p may join, and if not why.
func (m *Match) JoinAttempt(d Dispatcher, tick int64, p Presence, metadata map[string]string) (ok bool, reason string) {
	defer func() {
		if err := recover(); err != nil {
			m.host.Error(fmt.Sprintf("xoxo_plus: match %s failed in match_join_attempt: %v", m.id, err))
			ok, reason = false, "this match cannot take players right now"
		}
	}()
	if m.ended {
		return false, "this match has ended"
	}
	if m.seatOf(p) == 0 {
		if m.hasExpected {
			matched := false
			for _, e := range m.expected {
				if e.UserID == p.UserID {
					matched = true
				}
			}
			if !matched {
				return false, "you were not matched into this game"
			}
		}
		if len(m.seats) >= 2 {
			return false, "this game is full"
		}
	}
	m.declared[p.SessionID] = declaredProtocol(metadata)
	return true, ""
}

func declaredProtocol(metadata map[string]string) int {
	v, ok := metadata["protocol"]
	if !ok || len(v) < 1 || len(v) > 6 {
		return 0
	}
	n := 0
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

type presenceJSON struct {
	Node      string `json:"node"`
	Reason    int    `json:"reason"`
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
	Username  string `json:"username"`
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Join is match_join; false once the match is over.
func (m *Match) Join(d Dispatcher, tick int64, presences []Presence) bool {
	return m.guard(d, "join", func() {
		now := m.now(tick)
		for _, in := range presences {
			protocol := m.declared[in.SessionID]
			delete(m.declared, in.SessionID)
			p := Presence{UserID: in.UserID, SessionID: in.SessionID, Username: in.Username, Node: in.Node}
			text := mustJSON(presenceJSON{Node: p.Node, SessionID: p.SessionID, UserID: p.UserID, Username: p.Username})
			if index := m.seatOf(p); index > 0 {
				m.rejoin(d, now, index, p, text, protocol)
			} else if !m.ended && len(m.seats) < 2 {
				m.seats = append(m.seats, &seat{p: p, json: text, protocol: protocol, connected: true})
				if len(m.seats) == 2 && m.board == nil {
					m.join = at{}
					m.startGame(d, now)
				}
			}
		}
	})
}

func (m *Match) rejoin(d Dispatcher, now float64, index int, p Presence, text string, protocol int) {
	s := m.seats[index-1]
	if s.connected && s.p.SessionID != p.SessionID {
		// The user came back on a new session while the old one is still in the match: the old one goes.
		d.Kick(s.p)
	}
	s.p, s.json, s.protocol, s.connected, s.grace = p, text, protocol, true, at{}
	s.claimAt, s.claimTold = at{}, false
	// The turn clock goes on when both are back, with at least returnSeconds left.
	if m.turnRemaining.set && len(m.connected()) == len(m.seats) {
		if m.board != nil && m.board.out == nil {
			least := m.settings.TurnSeconds
			if !(least < returnSeconds) {
				least = returnSeconds
			}
			wait := m.turnRemaining.t
			if least > wait {
				wait = least
			}
			m.turnDeadline = when(now + wait)
		}
		m.turnRemaining = at{}
	}
	if m.board != nil {
		if m.board.out != nil && m.news != nil && protocol >= revision3 {
			d.Send(OpRating, m.news, []Presence{p}) // the result they missed, with its rating
		}
		m.broadcast(d, now, nil, "", nil)
	}
}

// Leave is match_leave; false once the match is over.
func (m *Match) Leave(d Dispatcher, tick int64, presences []Presence) bool {
	return m.guard(d, "leave", func() {
		now := m.now(tick)
		for _, p := range presences {
			reason := "disconnected"
			if p.Reason == PresenceLeave {
				reason = "left"
			}
			delete(m.declared, p.SessionID)
			index := m.seatOf(p)
			if index == 0 || m.ended || m.seats[index-1].p.SessionID != p.SessionID {
				continue // not seated, over, or a stale session
			}
			s := m.seats[index-1]
			if reason == "left" || m.board == nil {
				// Leaving after a game whose next one was offered openly declines it.
				if m.board != nil && m.board.out != nil && m.rematchMode == "open" {
					reason = "declined"
				}
				m.abandon(d, now, index, reason)
				continue
			}
			s.connected = false
			s.grace = when(now + m.settings.GraceSeconds)
			s.claimAt = when(now + m.settings.GraceSeconds/2.0)
			s.claimTold = false
			m.pauseClock(now)
			if len(m.connected()) > 0 {
				m.broadcast(d, now, nil, "", nil)
			}
		}
	})
}

// Loop is match_loop: the messages since the last tick, in order, then the clocks; false once the match is over.
func (m *Match) Loop(d Dispatcher, tick int64, messages []Message) bool {
	return m.guard(d, "loop", func() {
		now := m.now(tick)
		for i := range messages {
			m.message(d, now, &messages[i])
		}
		if !m.ended {
			m.clocks(d, now)
		}
	})
}

// Terminate is match_terminate: everyone is told in plain text (as XOXO does), and the match ends.
func (m *Match) Terminate(d Dispatcher, tick int64, graceSeconds int) bool {
	return m.guard(d, "terminate", func() {
		if m.ended {
			return
		}
		if to := m.connected(); len(to) > 0 {
			d.Send(OpState, []byte(fmt.Sprintf("Server shutting down in %d seconds", graceSeconds)), to)
		}
		m.close(d, "", nil, nil)
	})
}

// Signal is match_signal: {"seat":"USER_ID"} asks where that user stands (the RPC xoxo_seat); anything else
// is answered with the label.
func (m *Match) Signal(tick int64, data string) string {
	userID, ok := strings.CutPrefix(data, `{"seat":"`)
	if ok {
		userID, ok = strings.CutSuffix(userID, `"}`)
	}
	if !ok || strings.Contains(userID, `"`) {
		return m.label
	}
	answer := map[string]any{"status": "none"}
	for i, s := range m.seats {
		if s.p.UserID != userID || m.ended {
			continue
		}
		if s.connected {
			answer = map[string]any{"status": "seated", "game": m.game}
		} else if s.grace.set {
			left := s.grace.t - m.now(tick)
			if !(left > 0) {
				left = 0
			}
			them := Presence{}
			if len(m.seats) == 2 {
				them = m.seats[1-i].p
			}
			answer = map[string]any{"status": "held", "seconds_left": rounded2(left), "game": m.game,
				"opponent": map[string]string{"user_id": them.UserID, "username": them.Username}}
		}
	}
	return mustJSON(answer)
}

// Label is the match's label now.
func (m *Match) Label() string { return m.label }

// Small steps -------------------------------------------------------------------------------------

func (m *Match) seatOf(p Presence) int {
	for i, s := range m.seats {
		if s.p.UserID == p.UserID {
			return i + 1
		}
	}
	return 0
}

func (m *Match) connected() []Presence {
	var out []Presence
	for _, s := range m.seats {
		if s.connected {
			out = append(out, s.p)
		}
	}
	return out
}

func (m *Match) pauseClock(now float64) {
	if m.turnDeadline.set {
		left := m.turnDeadline.t - now
		if !(left > 0) {
			left = 0
		}
		m.turnRemaining = when(left)
		m.turnDeadline = at{}
	}
}

func (m *Match) restartClock(now float64) {
	if t := m.settings.TurnSeconds; t > 0 {
		m.turnDeadline = when(now + t)
	} else {
		m.turnDeadline = at{}
	}
	for _, s := range m.seats {
		if !s.connected {
			m.pauseClock(now)
			return
		}
	}
}

type refusal struct {
	Message string `json:"message"`
	Reason  string `json:"reason"`
}

type gone struct {
	Reason   string `json:"reason"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
}

func (m *Match) refuse(d Dispatcher, to Presence, reason, text string) {
	d.Send(OpRejected, []byte(mustJSON(refusal{text, reason})), []Presence{to})
}

func (m *Match) message(d Dispatcher, now float64, msg *Message) {
	index := m.seatOf(msg.Sender)
	if index == 0 || m.ended || m.seats[index-1].p.SessionID != msg.Sender.SessionID {
		return // not seated, over, or a stale session: ignored
	}
	switch {
	case msg.OpCode == OpMove:
		m.move(d, now, index, msg)
	case msg.OpCode == OpRematch:
		m.askRematch(d, now, index, msg.Sender)
	case msg.OpCode == OpClaim:
		m.claim(d, now, index, msg)
	case msg.OpCode == OpReaction && m.seats[index-1].protocol >= revision4:
		m.react(d, now, index, msg)
	default:
		m.refuse(d, msg.Sender, "unknown_op", unknownOp)
	}
}

// lines are the eight lines as cell indexes, in the order game.rules checks them.
var lines = [8][3]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6}, {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}}

func (m *Match) move(d Dispatcher, now float64, index int, msg *Message) {
	b := m.board
	if b == nil {
		m.refuse(d, msg.Sender, "not_started", notStarted)
		return
	}
	row, col, ok := readMove(msg.Data)
	switch {
	case !ok:
		m.refuse(d, msg.Sender, "bad_payload", moveShape)
		return
	case row == 0 || col == 0:
		m.refuse(d, msg.Sender, "out_of_bounds", outOfBounds)
		return
	case b.out != nil:
		m.refuse(d, msg.Sender, "game_over", "the game is over")
		return
	case index != b.toMove:
		m.refuse(d, msg.Sender, "not_your_turn", fmt.Sprintf("it is player %d's turn, not player %d's", b.toMove, index))
		return
	case b.cells[(row-1)*3+col-1] != empty:
		m.refuse(d, msg.Sender, "occupied", fmt.Sprintf("cell (%d, %d) is already taken", row, col))
		return
	}
	mover := b.toMove
	b.cells[(row-1)*3+col-1] = mover
	b.moves = append(b.moves, [3]int{row, col, mover})
	b.toMove = 3 - mover
	s := m.seats[index-1]
	s.timeouts = 0
	s.aborts = 0 // a game with a move of theirs: the count of aborts starts again
	for _, l := range lines {
		c := b.cells[l[0]]
		if c != empty && c == b.cells[l[1]] && c == b.cells[l[2]] {
			line := make([][2]int, 3)
			for k, x := range l {
				line[k] = [2]int{x/3 + 1, x%3 + 1}
			}
			b.out = &outcome{termination: "line", winner: c, line: line}
			break
		}
	}
	if b.out == nil && len(b.moves) == 9 {
		b.out = &outcome{termination: "draw"}
	}
	if b.out != nil {
		m.finish(d, now)
	} else {
		m.restartClock(now)
		m.broadcast(d, now, nil, "", nil)
	}
}

func (m *Match) askRematch(d Dispatcher, now float64, index int, sender Presence) {
	if m.board == nil || m.board.out == nil {
		m.refuse(d, sender, "game_in_progress", "finish this game first")
		return
	}
	s := m.seats[index-1]
	if s.wantsRematch {
		return // asked already: nothing changes, nothing is sent again
	}
	s.wantsRematch = true
	both := len(m.seats) == 2
	for _, st := range m.seats {
		if !(st.wantsRematch && st.connected) {
			both = false
		}
	}
	if both {
		m.startGame(d, now)
	} else {
		m.broadcast(d, now, nil, "", nil)
	}
}

func (m *Match) claim(d Dispatcher, now float64, index int, msg *Message) {
	claim := readClaim(msg.Data)
	b := m.board
	switch {
	case claim == "":
		m.refuse(d, msg.Sender, "bad_payload", claimShape)
	case b == nil || b.out != nil || len(m.seats) < 2:
		m.refuse(d, msg.Sender, "nothing_to_claim", "there is no game in progress")
	case m.seats[2-index].connected || !m.seats[2-index].claimAt.set:
		m.refuse(d, msg.Sender, "nothing_to_claim", "your opponent is here")
	case m.seats[2-index].claimAt.t-now > 0:
		m.refuse(d, msg.Sender, "claim_too_early",
			fmt.Sprintf("you may claim in %d s", int64(math.Ceil(m.seats[2-index].claimAt.t-now))))
	case claim == "win":
		b.out = &outcome{termination: "claimed", winner: index}
		m.finish(d, now)
	default:
		b.out = &outcome{termination: "draw_called"}
		m.finish(d, now)
	}
}

type relayed struct {
	Reaction string `json:"reaction"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
}

func (m *Match) react(d Dispatcher, now float64, index int, msg *Message) {
	id := readReaction(msg.Data)
	s := m.seats[index-1]
	if id == "" {
		m.refuse(d, msg.Sender, "bad_payload", reactionShape)
		return
	}
	if m.board == nil || len(m.seats) < 2 {
		m.refuse(d, msg.Sender, "not_started", notStarted)
		return
	}
	kept := s.reactedAt[:0]
	for _, t := range s.reactedAt {
		if now-t < reactionWindow {
			kept = append(kept, t)
		}
	}
	s.reactedAt = kept
	if len(kept) >= reactionLimit {
		m.refuse(d, msg.Sender, "too_many_reactions", fmt.Sprintf("at most %d reactions in %d s: try again in %d s",
			reactionLimit, int(reactionWindow), int64(math.Ceil(kept[0]+reactionWindow-now))))
		return
	}
	s.reactedAt = append(s.reactedAt, now)
	them := m.seats[2-index]
	if them.connected && them.protocol >= revision4 {
		d.Send(OpReaction, []byte(mustJSON(relayed{id, s.p.UserID, s.p.Username})), []Presence{them.p})
	}
}

// clocks: grace periods, the join deadline, claims opening, the turn, the idle limit, the rematch countdown.
func (m *Match) clocks(d Dispatcher, now float64) {
	for i, s := range m.seats {
		if s.grace.set && now >= s.grace.t {
			m.abandon(d, now, i+1, "disconnected")
			return
		}
	}
	b := m.board
	switch {
	case b == nil:
		if m.join.set && now >= m.join.t {
			// Not both seated in time: tell whoever came who did not.
			var missing *Presence
			for i, p := range m.expected {
				if m.seatOf(p) == 0 {
					missing = &m.expected[i]
					break
				}
			}
			m.close(d, "no_show", missing, m.connected())
		}
	case b.out == nil:
		m.announceClaims(d, now)
		if m.turnDeadline.set && now >= m.turnDeadline.t {
			m.timeOut(d, now, b)
		}
	case m.idle.set:
		if now >= m.idle.t { // nobody started the next game in time
			everyone := m.connected()
			m.broadcast(d, now, nil, "idle", nil)
			m.close(d, "idle", nil, everyone)
		}
	case m.rematch.set:
		m.rematchClock(d, now)
	}
}

func (m *Match) announceClaims(d Dispatcher, now float64) {
	for i, s := range m.seats {
		if len(m.seats) != 2 {
			break
		}
		other := m.seats[1-i]
		if !s.connected && !s.claimTold && s.claimAt.set && other.connected && other.protocol >= revision3 &&
			now >= s.claimAt.t {
			s.claimTold = true
			m.broadcast(d, now, []Presence{other.p}, "", nil)
		}
	}
}

func (m *Match) timeOut(d Dispatcher, now float64, b *board) {
	loser := b.toMove
	s := m.seats[loser-1]
	moved := false
	for _, mv := range b.moves {
		if mv[2] == loser {
			moved = true
		}
	}
	if len(m.seats) == 2 && m.seats[0].protocol >= revision3 && m.seats[1].protocol >= revision3 && !moved {
		// A first move never made, between two revision-3 clients: aborted, or the second time a leave.
		s.aborts++
		if s.aborts < 2 {
			m.abortedBy = loser
			b.out = &outcome{termination: "aborted"}
			m.finish(d, now)
			return
		}
		everyone := m.connected()
		b.out = &outcome{termination: "opponent_left", winner: 3 - loser}
		m.settle(d, everyone)
		p := s.p
		m.broadcast(d, now, nil, "aborted", &p)
		m.close(d, "aborted", &p, everyone)
		return
	}
	s.timeouts++
	b.out = &outcome{termination: "timeout", winner: 3 - loser}
	m.finish(d, now)
	if s.timeouts >= timeoutsToRemove {
		p := s.p
		m.close(d, "timed_out", &p, m.connected())
	}
}

func (m *Match) countdown(now float64) int {
	c := int(math.Ceil(m.rematch.t - now - 1e-9))
	if c < 0 {
		c = 0
	}
	return c
}

func (m *Match) rematchClock(d Dispatcher, now float64) {
	if now < m.rematch.t {
		if c := m.countdown(now); !m.countdownSet || c != m.countdownShown {
			m.broadcast(d, now, nil, "", nil)
		}
		return
	}
	if m.rematchMode == "auto" {
		m.startGame(d, now)
		return
	}
	for i, s := range m.seats {
		if s.connected && len(m.seats) == 2 {
			them := m.seats[1-i].p
			d.Send(OpOpponentGone, []byte(mustJSON(gone{"no_rematch", them.UserID, them.Username})), []Presence{s.p})
		}
	}
	m.close(d, "", nil, nil)
}

// Games -------------------------------------------------------------------------------------------

func (m *Match) startGame(d Dispatcher, now float64) {
	first := 1
	if m.board != nil {
		first = 3 - m.board.first
	}
	m.board = &board{cells: [9]int{empty, empty, empty, empty, empty, empty, empty, empty, empty}, first: first,
		toMove: first}
	m.game++
	m.gameText = strconv.Itoa(m.game)
	m.gameStartedAt = float64(m.host.NowMillis()) / 1000
	m.rematch, m.idle = at{}, at{}
	m.countdownSet = false
	m.news = nil
	m.abortedBy = 0
	for _, s := range m.seats {
		s.wantsRematch = false
	}
	if m.rated && len(m.seats) == 2 {
		// The ratings shown beside the names: from the first game's read, then the ones this match wrote (read
		// again if a read or a write failed). Each game's rating reads the leaderboard again (standings).
		var standings [2]standing
		if m.known != nil {
			standings = *m.known
		} else if read, ok := m.readStandings(); ok {
			standings, m.known = read, &read
		} else {
			standings = read
		}
		m.shownText = shownJSON(standings)
		if m.game == 1 { // aborts in a row carry over from the players' earlier rated games
			for i, s := range m.seats {
				s.aborts = standings[i].Aborts
			}
		}
	}
	m.turnRemaining = at{}
	m.restartClock(now)
	m.broadcast(d, now, nil, "", nil)
}

// finish: the game on m.board has its outcome: record it, start the countdown (or open the offer of the
// next game), tell the players.
func (m *Match) finish(d Dispatcher, now float64) {
	m.settle(d, m.connected())
	m.rematch, m.idle = at{}, at{}
	declared := 99 // the lowest revision the players declared
	for _, s := range m.seats {
		if s.protocol < declared {
			declared = s.protocol
		}
	}
	if len(m.seats) == 2 && declared >= revision3 {
		m.rematchMode = "open"
		if m.settings.IdleLimit {
			m.idle = when(now + m.settings.IdleSeconds)
		}
	} else {
		m.rematchMode = "auto"
		if !m.settings.RematchCountdown || declared >= 2 {
			m.rematchMode = "consent"
		}
		if m.settings.RematchCountdown {
			m.rematch = when(now + m.settings.RematchSeconds)
		}
	}
	m.broadcast(d, now, nil, "", nil)
}

// close: the match is over; op 5 `reason` about `who` (nil: nobody) to `to`, then nothing more happens.
func (m *Match) close(d Dispatcher, reason string, who *Presence, to []Presence) {
	if reason != "" && len(to) > 0 {
		g := gone{Reason: reason}
		if who != nil {
			g.UserID, g.Username = who.UserID, who.Username
		}
		d.Send(OpOpponentGone, []byte(mustJSON(g)), to)
	}
	m.ended = true
	m.turnDeadline, m.rematch, m.join, m.idle = at{}, at{}, at{}, at{}
	for _, s := range m.seats {
		s.grace, s.claimAt = at{}, at{}
	}
	m.host.Info(fmt.Sprintf("match %s ended", m.id))
}

// abandon: the player in seat index is gone for good; a game on is theirs lost.
func (m *Match) abandon(d Dispatcher, now float64, index int, reason string) {
	b := m.board
	who := m.seats[index-1].p
	var remaining []Presence
	for i, s := range m.seats {
		if i != index-1 && s.connected {
			remaining = append(remaining, s.p)
		}
	}
	if b != nil && b.out == nil && len(m.seats) == 2 {
		b.out = &outcome{termination: "opponent_left", winner: 3 - index}
		m.settle(d, remaining)
	}
	if b != nil && len(remaining) > 0 {
		m.broadcast(d, now, remaining, reason, &who)
	}
	m.close(d, reason, &who, remaining)
}

// MatchedUser is one user the matchmaker paired: their presence and their ticket's string properties.
type MatchedUser struct {
	Presence   Presence
	Properties map[string]any
}

// MatchParams are the params of the match made for users the matchmaker paired (the Lua module's
// matchmaker-matched hook): they are its expected players, and it is rated unless they met by a friend
// code (the property "code"). Also the players' names, for the log line.
func MatchParams(users []MatchedUser) (params map[string]any, names []string) {
	expected := make([]any, 0, len(users))
	rated := true
	for _, u := range users {
		p := u.Presence
		expected = append(expected, map[string]any{"user_id": p.UserID, "session_id": p.SessionID,
			"username": p.Username, "node": p.Node})
		names = append(names, p.Username)
		if code, ok := u.Properties["code"]; ok && code != nil && code != "" {
			rated = false // friends who met by a code: not rated
		}
	}
	return map[string]any{"expected": expected, "rated": rated}, names
}
