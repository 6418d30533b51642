// The tic-tac-toe module as a Go plugin for Nakama (docs/NAKAMA-GO.md): the same names and the same
// protocol as the Lua module of nakama/ (xoxo_plus_main.lua and xoxo_plus_match.lua), so a server runs
// either, never both. InitModule registers the match handler xoxo_plus_match, the matchmaker-matched
// hook, the RPCs xoxo_seat and xoxo_stats, the realtime before-hooks that count sessions online, and
// makes the leaderboard xoxo_rating. The match itself is the package xoxo; this file adapts Nakama's
// runtime.Match, MatchDispatcher and NakamaModule to it.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"

	"xoxoplus/standings"
	"xoxoplus/xoxo"
)

const (
	matchModule  = "xoxo_plus_match"
	payloadShape = `xoxo_seat wants a payload like {"match_id": "...", "game": 3}`
	statsShape   = "xoxo_stats takes no payload, or a JSON object"
	unknownSeat  = `{"status":"unknown"}`
	onlineMode   = 180 // a stream mode of our own (Nakama's own are 0 to 7)
	onlineLabel  = "xoxo_plus_online"
	maxListed    = 10000 // matches listed to count the games
	codeInvalid  = 3     // gRPC INVALID_ARGUMENT
	cacheKey     = "xoxo_plus_standings_cache"
)

// standingsCache holds the node's players' leaderboard records as the node last wrote or read them
// (docs/NAKAMA-GO.md, "A game's end"); nil when runtime.env turns it off.
var standingsCache *standings.Cache

// InitModule is called by Nakama when it loads the plugin.
func InitModule(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	initializer runtime.Initializer) error {
	env, _ := ctx.Value(runtime.RUNTIME_CTX_ENV).(map[string]string)
	switch v := strings.ToLower(env[cacheKey]); v {
	case "off":
		standingsCache = nil
	case "", "on":
		standingsCache = standings.New(standings.DefaultMax)
	default:
		logger.Warn("xoxo_plus: %s is on or off, not %q; it stays on", cacheKey, env[cacheKey])
		standingsCache = standings.New(standings.DefaultMax)
	}
	if err := initializer.RegisterMatch(matchModule, func(ctx context.Context, logger runtime.Logger, db *sql.DB,
		nk runtime.NakamaModule) (runtime.Match, error) {
		return &handler{}, nil
	}); err != nil {
		return err
	}
	if err := initializer.RegisterMatchmakerMatched(matched); err != nil {
		return err
	}
	if err := initializer.RegisterRpc("xoxo_seat", seatRPC); err != nil {
		return err
	}
	if err := initializer.RegisterRpc("xoxo_stats", statsRPC); err != nil {
		return err
	}
	for _, id := range []string{"MatchmakerAdd", "MatchJoin"} {
		if err := initializer.RegisterBeforeRt(id, countOnline); err != nil {
			return err
		}
	}
	// The leaderboard of ratings: descending, each write sets the record, only the server writes, ranked.
	// Made once: an existing board keeps its configuration.
	if err := nk.LeaderboardCreate(ctx, xoxo.RatingBoard, true, "desc", "set", "", map[string]interface{}{"game": "xoxo"},
		true); err != nil {
		logger.Error("xoxo_plus: cannot create the leaderboard %s: %v", xoxo.RatingBoard, err)
	}
	logger.Info("xoxo_plus: the Go module is loaded (match handler %s)", matchModule)
	return nil
}

// The matchmaker paired players: an authoritative match expecting them, rated unless they met by a code.
func matched(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	entries []runtime.MatchmakerEntry) (string, error) {
	users := make([]xoxo.MatchedUser, len(entries))
	for i, e := range entries {
		users[i] = xoxo.MatchedUser{Presence: presence(e.GetPresence()), Properties: e.GetProperties()}
	}
	if len(users) != 2 {
		logger.Warn("xoxo_plus: the matchmaker matched %d players; a game seats 2", len(users))
	}
	params, names := xoxo.MatchParams(users)
	matchID, err := nk.MatchCreate(ctx, matchModule, params)
	if err != nil {
		return "", err
	}
	logger.Info("match %s created: %s", matchID, strings.Join(names, " vs "))
	return matchID, nil
}

func presence(p runtime.Presence) xoxo.Presence {
	return xoxo.Presence{UserID: p.GetUserId(), SessionID: p.GetSessionId(), Username: p.GetUsername(),
		Node: p.GetNodeId(), Reason: int(p.GetReason())}
}

// The match handler ---------------------------------------------------------------------------------

type handler struct{}

// host is the server around one match: its hooks run one at a time, each with its own context.
type host struct {
	ctx    context.Context
	logger runtime.Logger
	nk     runtime.NakamaModule
}

func (h *host) NowMillis() int64 { return time.Now().UnixMilli() }

func (h *host) StoreGame(collection, key string, value []byte) error {
	_, err := h.nk.StorageWrite(h.ctx, []*runtime.StorageWrite{{Collection: collection, Key: key, Value: string(value),
		PermissionRead: 0, PermissionWrite: 0}})
	return err
}

// Standings answers from the node's cache for the owners it holds and reads the leaderboard for the others.
func (h *host) Standings(board string, owners []string) (map[string][]byte, error) {
	return standingsCache.Read(owners, func(missing []string) (map[string][]byte, error) {
		_, records, _, _, err := h.nk.LeaderboardRecordsList(h.ctx, board, missing, 0, "", 0)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]byte, len(records))
		for _, r := range records {
			out[r.GetOwnerId()] = []byte(r.GetMetadata())
		}
		return out, nil
	})
}

// WriteStanding writes the record; on success the cache holds the metadata Nakama answers, the record as
// stored (a "set" that changes neither score nor subscore leaves the record as it was, and answers that).
func (h *host) WriteStanding(board, owner, username string, score, subscore int64, metadata map[string]any) error {
	return standingsCache.Write(owner, func() ([]byte, error) {
		r, err := h.nk.LeaderboardRecordWrite(h.ctx, board, owner, username, score, subscore, metadata, nil)
		if err != nil {
			return nil, err
		}
		return []byte(r.GetMetadata()), nil
	})
}

// Together makes the calls at once, the first on this goroutine, and waits for all.
func (h *host) Together(calls ...func()) {
	var wg sync.WaitGroup
	for _, call := range calls[min(1, len(calls)):] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call()
		}()
	}
	if len(calls) > 0 {
		calls[0]()
	}
	wg.Wait()
}

func (h *host) Info(msg string)  { h.logger.Info("%s", msg) }
func (h *host) Warn(msg string)  { h.logger.Warn("%s", msg) }
func (h *host) Error(msg string) { h.logger.Error("%s", msg) }

// state is what Nakama keeps between hooks.
type state struct {
	match *xoxo.Match
	host  *host
}

// dispatcher adapts Nakama's MatchDispatcher.
type dispatcher struct {
	d      runtime.MatchDispatcher
	logger runtime.Logger
}

// outgoing is a presence handed back to Nakama (the fields it reads to address a session).
type outgoing struct{ p xoxo.Presence }

func (o outgoing) GetHidden() bool                   { return false }
func (o outgoing) GetPersistence() bool              { return false }
func (o outgoing) GetUsername() string               { return o.p.Username }
func (o outgoing) GetStatus() string                 { return "" }
func (o outgoing) GetReason() runtime.PresenceReason { return runtime.PresenceReasonUnknown }
func (o outgoing) GetUserId() string                 { return o.p.UserID }
func (o outgoing) GetSessionId() string              { return o.p.SessionID }
func (o outgoing) GetNodeId() string                 { return o.p.Node }

func (d dispatcher) Send(opCode int64, data []byte, to []xoxo.Presence) {
	if len(to) == 0 {
		return
	}
	ps := make([]runtime.Presence, len(to))
	for i, p := range to {
		ps[i] = outgoing{p}
	}
	if err := d.d.BroadcastMessage(opCode, data, ps, nil, true); err != nil {
		d.logger.Warn("xoxo_plus: cannot send op %d: %v", opCode, err)
	}
}

func (d dispatcher) Kick(p xoxo.Presence) {
	if err := d.d.MatchKick([]runtime.Presence{outgoing{p}}); err != nil {
		d.logger.Warn("xoxo_plus: cannot kick a stale session: %v", err)
	}
}

func (d dispatcher) Label(label string) {
	if err := d.d.MatchLabelUpdate(label); err != nil {
		d.logger.Warn("xoxo_plus: cannot update the label: %v", err)
	}
}

func (s *state) enter(ctx context.Context, logger runtime.Logger) {
	s.host.ctx, s.host.logger = ctx, logger
}

func presences(in []runtime.Presence) []xoxo.Presence {
	out := make([]xoxo.Presence, len(in))
	for i, p := range in {
		out[i] = presence(p)
	}
	return out
}

func alive(s *state, on bool) interface{} {
	if !on {
		return nil // the match is over: Nakama stops it
	}
	return s
}

func (h *handler) MatchInit(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	params map[string]interface{}) (interface{}, int, string) {
	env, _ := ctx.Value(runtime.RUNTIME_CTX_ENV).(map[string]string)
	matchID, _ := ctx.Value(runtime.RUNTIME_CTX_MATCH_ID).(string)
	hs := &host{ctx: ctx, logger: logger, nk: nk}
	settings := xoxo.SettingsFromEnv(env, hs.Warn)
	m, rate, label := xoxo.New(hs, matchID, settings, xoxo.ParamsFrom(params))
	return &state{match: m, host: hs}, rate, label
}

func (h *handler) MatchJoinAttempt(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	d runtime.MatchDispatcher, tick int64, st interface{}, p runtime.Presence,
	metadata map[string]string) (interface{}, bool, string) {
	s := st.(*state)
	s.enter(ctx, logger)
	ok, reason := s.match.JoinAttempt(dispatcher{d, logger}, tick, presence(p), metadata)
	return s, ok, reason
}

func (h *handler) MatchJoin(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	d runtime.MatchDispatcher, tick int64, st interface{}, ps []runtime.Presence) interface{} {
	s := st.(*state)
	s.enter(ctx, logger)
	return alive(s, s.match.Join(dispatcher{d, logger}, tick, presences(ps)))
}

func (h *handler) MatchLeave(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	d runtime.MatchDispatcher, tick int64, st interface{}, ps []runtime.Presence) interface{} {
	s := st.(*state)
	s.enter(ctx, logger)
	return alive(s, s.match.Leave(dispatcher{d, logger}, tick, presences(ps)))
}

func (h *handler) MatchLoop(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	d runtime.MatchDispatcher, tick int64, st interface{}, messages []runtime.MatchData) interface{} {
	s := st.(*state)
	s.enter(ctx, logger)
	msgs := make([]xoxo.Message, len(messages))
	for i, m := range messages {
		msgs[i] = xoxo.Message{Sender: presence(m), OpCode: m.GetOpCode(), Data: m.GetData()}
	}
	return alive(s, s.match.Loop(dispatcher{d, logger}, tick, msgs))
}

func (h *handler) MatchTerminate(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	d runtime.MatchDispatcher, tick int64, st interface{}, graceSeconds int) interface{} {
	s := st.(*state)
	s.enter(ctx, logger)
	return alive(s, s.match.Terminate(dispatcher{d, logger}, tick, graceSeconds))
}

func (h *handler) MatchSignal(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	d runtime.MatchDispatcher, tick int64, st interface{}, data string) (interface{}, string) {
	s := st.(*state)
	return s, s.match.Signal(tick, data)
}

// The RPCs ------------------------------------------------------------------------------------------

// seatRPC answers where the calling player stands in a match they were in (docs/PROTOCOL.md, "Coming back
// to a game"): the live match says held or seated, else the stored game says how it ended.
func seatRPC(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	payload string) (string, error) {
	var ask map[string]interface{}
	if json.Unmarshal([]byte(payload), &ask) != nil || ask == nil {
		return "", runtime.NewError(payloadShape, codeInvalid)
	}
	matchID, ok := ask["match_id"].(string)
	if !ok {
		return "", runtime.NewError(payloadShape, codeInvalid)
	}
	game := 0.0
	if raw, given := ask["game"]; given && raw != nil {
		g, isNumber := raw.(float64)
		if !isNumber || g != float64(int64(g)) {
			return "", runtime.NewError(payloadShape, codeInvalid)
		}
		game = g
	}
	userID, _ := ctx.Value(runtime.RUNTIME_CTX_USER_ID).(string)
	if userID == "" {
		return unknownSeat, nil // an HTTP-key call: nobody's seat
	}
	question, _ := json.Marshal(map[string]string{"seat": userID})
	if said, err := nk.MatchSignal(ctx, matchID, string(question)); err == nil {
		if strings.Contains(said, `"status":"held"`) || strings.Contains(said, `"status":"seated"`) {
			return said, nil
		}
	}
	env, _ := ctx.Value(runtime.RUNTIME_CTX_ENV).(map[string]string)
	collection, given := env["xoxo_plus_games_collection"]
	if !given {
		collection = xoxo.DefaultSettings().GamesCollection
	}
	if collection == "" {
		return unknownSeat, nil
	}
	objects, err := nk.StorageRead(ctx, []*runtime.StorageRead{{Collection: collection,
		Key: matchID + "/" + strconv.FormatFloat(game, 'f', 0, 64), UserID: "00000000-0000-0000-0000-000000000000"}})
	if err != nil || len(objects) == 0 {
		return unknownSeat, nil
	}
	return seatOver(objects[0], userID), nil
}

// seatOver is the answer from a stored game: how it ended for userID.
func seatOver(object *api.StorageObject, userID string) string {
	var v map[string]interface{}
	if json.Unmarshal([]byte(object.GetValue()), &v) != nil {
		return unknownSeat
	}
	mine := 0
	if v["player1_id"] == userID {
		mine = 1
	} else if v["player2_id"] == userID {
		mine = 2
	}
	if mine == 0 {
		return unknownSeat
	}
	result := "loss"
	winner, hasWinner := v["winner"].(float64)
	switch {
	case v["termination"] == "aborted":
		result = "aborted"
	case !hasWinner:
		result = "draw"
	case int(winner) == mine:
		result = "win"
	}
	them := strconv.Itoa(3 - mine)
	answer := map[string]interface{}{"status": "over", "game": v["game"], "result": result, "reason": v["termination"],
		"opponent": map[string]interface{}{"user_id": v["player"+them+"_id"], "username": v["player"+them+"_name"]}}
	if ratings, ok := v["ratings"].([]interface{}); ok && len(ratings) >= mine {
		if shown, ok := ratings[mine-1].(map[string]interface{}); ok {
			before, _ := shown["shown_before"].(float64)
			after, _ := shown["shown_after"].(float64)
			answer["rating"] = map[string]interface{}{"shown_before": shown["shown_before"],
				"shown_after": shown["shown_after"], "delta": after - before}
		}
	}
	text, err := json.Marshal(answer)
	if err != nil {
		return unknownSeat
	}
	return string(text)
}

var stats struct {
	sync.Mutex
	text  string
	until time.Time
}

// statsRPC: {"online": N, "games": M}, the sessions counted online and the matches with two players in them,
// worked out at most once a second.
func statsRPC(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	payload string) (string, error) {
	if payload != "" {
		var ask interface{}
		err := json.Unmarshal([]byte(payload), &ask)
		list, isList := ask.([]interface{})
		_, isObject := ask.(map[string]interface{})
		if err != nil || !(isObject || (isList && len(list) == 0)) {
			return "", runtime.NewError(statsShape, codeInvalid)
		}
	}
	stats.Lock()
	defer stats.Unlock()
	if now := time.Now(); stats.text == "" || !now.Before(stats.until) {
		two := 2
		games, err := nk.MatchList(ctx, maxListed, true, "", &two, &two, "")
		if err != nil {
			return "", err
		}
		online, err := nk.StreamCount(onlineMode, "", "", onlineLabel)
		if err != nil {
			return "", err
		}
		stats.text = fmt.Sprintf(`{"games":%d,"online":%d}`, len(games), online)
		stats.until = now.Add(time.Second)
	}
	return stats.text, nil
}

// countOnline is a realtime before-hook: the session is counted online (joining again changes nothing); the
// message goes on as sent.
func countOnline(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule,
	in *rtapi.Envelope) (*rtapi.Envelope, error) {
	userID, _ := ctx.Value(runtime.RUNTIME_CTX_USER_ID).(string)
	sessionID, _ := ctx.Value(runtime.RUNTIME_CTX_SESSION_ID).(string)
	if userID != "" && sessionID != "" {
		if _, err := nk.StreamUserJoin(onlineMode, "", "", onlineLabel, userID, sessionID, true, false, ""); err != nil {
			logger.Warn("xoxo_plus: cannot count a session online: %v", err)
		}
	}
	return in, nil
}
