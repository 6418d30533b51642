package xoxo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

var cellText = map[int]string{empty: "-1", 1: "1", 2: "2"}

func flag(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// broadcast sends each connected player (of only, if not nil) the state from their own point of view, written
// as the Lua module writes it. over (op 5's reason, about who) makes it the match's last state, which says so
// to declared revision-3 players (match_over).
func (m *Match) broadcast(d Dispatcher, now float64, only []Presence, over string, who *Presence) {
	b := m.board
	if b == nil {
		return
	}
	out := b.out
	var w strings.Builder
	w.WriteString(`{"state":{"cells":[`)
	for r := 0; r < 3; r++ {
		if r > 0 {
			w.WriteByte(',')
		}
		w.WriteString("[" + cellText[b.cells[3*r]] + "," + cellText[b.cells[3*r+1]] + "," + cellText[b.cells[3*r+2]] + "]")
	}
	w.WriteString(`],"players":[`)
	for i, s := range m.seats {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(s.json)
	}
	w.WriteString(`],"player_turn":` + strconv.Itoa(b.toMove) + `,"game":` + m.gameText + `,"winner":`)
	if out != nil && out.winner != 0 {
		w.WriteString(strconv.Itoa(out.winner))
	} else {
		w.WriteString("false")
	}
	w.WriteString(`,"draw":` + flag(out != nil && out.winner == 0 && out.termination != "aborted"))
	if out != nil {
		w.WriteString(`,"reason":"` + out.termination + `"`)
		if out.line != nil {
			l := out.line
			fmt.Fprintf(&w, `,"line":[[%d,%d],[%d,%d],[%d,%d]]`, l[0][0], l[0][1], l[1][0], l[1][1], l[2][0], l[2][1])
		}
		if m.rematch.set {
			c := m.countdown(now)
			m.countdownShown, m.countdownSet = c, true
			w.WriteString(`,"rematch_countdown":` + strconv.Itoa(c))
		}
		asked := func(i int) bool { return i < len(m.seats) && m.seats[i].wantsRematch }
		w.WriteString(`,"rematch_asked":[` + flag(asked(0)) + "," + flag(asked(1)) + `],"rematch_mode":"` +
			m.rematchMode + `"`)
		if m.abortedBy > 0 {
			w.WriteString(`,"aborted_by":` + strconv.Itoa(m.abortedBy))
		}
	} else {
		left, has := 0.0, false
		if m.turnDeadline.set {
			left, has = m.turnDeadline.t-now, true
		} else if m.turnRemaining.set {
			left, has = m.turnRemaining.t, true
		}
		if has {
			if !(left > 0) {
				left = 0
			}
			shown := m.turnFullText // the full turn, the usual case right after a move
			if left != m.settings.TurnSeconds {
				shown = luaNumber(rounded2(left))
			}
			w.WriteString(`,"turn_seconds_left":` + shown + `,"turn_seconds":` + m.turnText)
		}
	}
	w.WriteString(`,"opponent_connected":`)
	common := w.String()
	tail := "}"
	if b.toMove-1 < len(m.seats) {
		tail += `,"active_player":` + m.seats[b.toMove-1].json
	}
	if 2-b.toMove < len(m.seats) {
		tail += `,"other_player":` + m.seats[2-b.toMove].json
	}
	tail += `,"you":`
	added := ""
	if m.rated && m.shownText != "" {
		added = `,"ratings":` + m.shownText
	}
	if over != "" {
		g := gone{Reason: over}
		if who != nil {
			g.UserID, g.Username = who.UserID, who.Username
		}
		added += `,"match_over":` + mustJSON(g)
	}
	for i, s := range m.seats {
		wanted := only == nil
		for _, p := range only {
			if p.SessionID == s.p.SessionID {
				wanted = true
			}
		}
		if !s.connected || !wanted {
			continue
		}
		var opponent *seat
		if len(m.seats) == 2 {
			opponent = m.seats[1-i]
		}
		extra := ""
		if s.protocol >= revision3 {
			extra = added
			if out == nil && opponent != nil && !opponent.connected && opponent.grace.set && opponent.claimAt.set {
				// The absent opponent's hold, as the player waiting sees it.
				left, claim := opponent.grace.t-now, opponent.claimAt.t-now
				if !(left > 0) {
					left = 0
				}
				if !(claim > 0) {
					claim = 0
				}
				extra += `,"opponent_away_seconds_left":` + luaNumber(rounded2(left)) + `,"opponent_away_seconds":` +
					m.graceText + `,"claim_seconds_left":` + luaNumber(rounded2(claim))
			}
			if s.protocol >= revision4 && opponent != nil && opponent.protocol >= revision4 {
				extra += `,"reactions":true` // the opponent sees quick reactions too
			}
		}
		text := common + flag(opponent != nil && opponent.connected) + extra + tail + strconv.Itoa(i+1) +
			`,"your_turn":` + flag(out == nil && b.toMove == i+1) + "}"
		d.Send(OpState, []byte(text), []Presence{s.p})
	}
}

// standings are both seated players' standings from their leaderboard records (new players: the defaults),
// and whether they could be read.
func (m *Match) readStandings() ([2]standing, bool) {
	ids := []string{m.seats[0].p.UserID, m.seats[1].p.UserID}
	found, err := m.host.Standings(RatingBoard, ids)
	if err != nil {
		m.host.Error(fmt.Sprintf("xoxo_plus: match %s cannot read the ratings (%v); new players' are used", m.id, err))
	}
	var out [2]standing
	for i, id := range ids {
		if meta, ok := found[id]; ok {
			out[i] = standingFrom(meta)
		} else {
			out[i] = newStanding()
		}
	}
	return out, err == nil
}

// standings are the players' standings now, read from the leaderboard for every game as our host reads its
// ledger (the same user may be in another rated match whose result came since); if the read fails, the ones
// this match last wrote.
func (m *Match) standings() [2]standing {
	st, ok := m.readStandings()
	if !ok && m.known != nil {
		return *m.known
	}
	return st
}

func shownJSON(st [2]standing) string {
	return fmt.Sprintf(`[{"shown":%d,"provisional":%s},{"shown":%d,"provisional":%s}]`, shown(st[0].Rating),
		flag(st[0].provisional()), shown(st[1].Rating), flag(st[1].provisional()))
}

type change struct {
	before, after [2]standing
	rated         bool
}

// rateGame: both standings before and after the game on m.board (an abort changes only the count of aborts).
func (m *Match) rateGame() change {
	before := m.standings()
	last := m.id + "/" + strconv.Itoa(m.game)
	out := m.board.out
	c := change{before: before, rated: out.termination != "aborted"}
	for i := 0; i < 2; i++ {
		b, o := before[i], before[1-i]
		a := b
		a.Aborts, a.LastGame = m.seats[i].aborts, last
		if c.rated {
			score := 0.5
			if out.winner == i+1 {
				score = 1.0
			} else if out.winner != 0 {
				score = 0.0
			}
			a.Rating, a.Deviation, a.Volatility = rate(b.Rating, b.Deviation, b.Volatility, o.Rating, o.Deviation, score)
			switch score {
			case 1.0:
				a.Wins++
			case 0.0:
				a.Losses++
			default:
				a.Draws++
			}
		}
		c.after[i] = a
	}
	return c
}

var terminationText = map[string]string{"line": "with a line", "draw": "draw", "timeout": "ran out of time",
	"opponent_left": "left", "claimed": "was away; the win was claimed"}

func (m *Match) summary() string {
	out := m.board.out
	n1, n2 := m.seats[0].p.Username, m.seats[1].p.Username
	names := [3]string{"", n1, n2}
	switch {
	case out.termination == "aborted":
		return fmt.Sprintf("aborted (%s vs %s: a first move never came)", n1, n2)
	case out.winner == 0:
		return fmt.Sprintf("%s and %s drew", n1, n2)
	case out.termination == "line":
		return fmt.Sprintf("%s beat %s with a line", names[out.winner], names[3-out.winner])
	}
	return fmt.Sprintf("%s beat %s (%s %s)", names[out.winner], names[3-out.winner], names[3-out.winner],
		terminationText[out.termination])
}

// settle: the game on m.board is over: its storage object, in a rated match both players' new leaderboard
// records, its log line, before anyone is told; then op 7 to the declared players among to.
func (m *Match) settle(d Dispatcher, to []Presence) {
	b := m.board
	m.turnDeadline, m.turnRemaining = at{}, at{}
	var c *change
	if m.rated && len(m.seats) == 2 {
		rc := m.rateGame()
		c = &rc
	}
	p1, p2 := m.seats[0].p, m.seats[1].p
	value := map[string]any{"match_id": m.id, "game": m.game, "player1_id": p1.UserID, "player1_name": p1.Username,
		"player2_id": p2.UserID, "player2_name": p2.Username, "first": b.first, "termination": b.out.termination,
		"started_at": m.gameStartedAt, "ended_at": float64(m.host.NowMillis()) / 1000}
	if len(b.moves) > 0 {
		value["moves"] = b.moves
	}
	if b.out.winner != 0 {
		value["winner"] = b.out.winner
	}
	if b.out.line != nil {
		value["line"] = b.out.line
	}
	if c != nil && c.rated {
		value["ratings"] = []map[string]int64{
			{"shown_before": shown(c.before[0].Rating), "shown_after": shown(c.after[0].Rating)},
			{"shown_before": shown(c.before[1].Rating), "shown_after": shown(c.after[1].Rating)}}
	}
	summary := m.summary()
	// The game's storage object and both leaderboard records are written together, then the failures logged
	// in that order.
	var calls []func()
	var gameErr error
	var boardErr [2]error
	if collection := m.settings.GamesCollection; collection != "" {
		key, text := m.id+"/"+strconv.Itoa(m.game), []byte(mustJSON(value))
		calls = append(calls, func() { gameErr = m.host.StoreGame(collection, key, text) })
	}
	if c != nil {
		for i := 0; i < 2; i++ {
			calls = append(calls, m.standingWrite(c.after[i], m.seats[i].p, &boardErr[i]))
		}
	}
	m.host.Together(calls...)
	if gameErr != nil {
		m.host.Error(fmt.Sprintf("GAME NOT SAVED: match %s game %d: %s: %v", m.id, m.game, summary, gameErr))
	}
	if c != nil {
		m.wroteStandings(c, boardErr)
	}
	m.host.Info(fmt.Sprintf("match %s game %d over: %s", m.id, m.game, summary))
	m.news = nil
	if c != nil && c.rated {
		m.news = []byte(m.ratingNews(c))
		var declared []Presence
		for _, s := range m.seats {
			for _, p := range to {
				if s.protocol >= revision3 && p.SessionID == s.p.SessionID {
					declared = append(declared, s.p)
				}
			}
		}
		if len(declared) > 0 {
			d.Send(OpRating, m.news, declared)
		}
	}
}

// standingWrite is the call that makes standing a's player p's leaderboard record; its error goes to *err.
func (m *Match) standingWrite(a standing, p Presence, err *error) func() {
	score := shown(a.Rating)
	if score < 0 {
		score = 0
	}
	subscore, metadata := a.Wins+a.Losses+a.Draws, a.metadata()
	return func() { *err = m.host.WriteStanding(RatingBoard, p.UserID, p.Username, score, subscore, metadata) }
}

// wroteStandings: the standings after the game became the players' leaderboard records, and are the ratings
// the next game shows, unless a write failed (errs): then the next game reads the leaderboard again.
func (m *Match) wroteStandings(c *change, errs [2]error) {
	after := c.after
	m.known = &after
	for i, err := range errs {
		if err != nil {
			m.known = nil
			m.host.Error(fmt.Sprintf("RATING NOT SAVED: match %s game %d, %s: %v", m.id, m.game, m.seats[i].p.Username,
				err))
		}
	}
}

// ratingNews is op 7, the same bytes to both players (encode_rating_news in game/xoxo.py: keys sorted).
func (m *Match) ratingNews(c *change) string {
	players := make([]map[string]any, 2)
	for i := 0; i < 2; i++ {
		b, a, p := c.before[i], c.after[i], m.seats[i].p
		players[i] = map[string]any{"user_id": p.UserID, "username": p.Username,
			"before":       map[string]float64{"rating": b.Rating, "deviation": b.Deviation, "volatility": b.Volatility},
			"after":        map[string]float64{"rating": a.Rating, "deviation": a.Deviation, "volatility": a.Volatility},
			"shown_before": shown(b.Rating), "shown_after": shown(a.Rating), "delta": shown(a.Rating) - shown(b.Rating),
			"provisional": a.provisional(), "wins": a.Wins, "losses": a.Losses, "draws": a.Draws}
	}
	text, err := json.Marshal(map[string]any{"game": m.game, "players": players})
	if err != nil {
		panic(err)
	}
	return string(text)
}
