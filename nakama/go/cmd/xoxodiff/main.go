// Command xoxodiff drives one xoxo match at a time for tests: it reads JSON lines of hook calls on
// stdin and answers each with one JSON line of everything the match did (messages with their op code,
// recipients and data, kicks, games stored, leaderboard records written, log lines), its label, and
// whether it is still on. tests/nakama/test_differential_go.py plays Nakama's part around it.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"xoxoplus/xoxo"
)

type presence struct {
	UserID    string `json:"user_id"`
	SessionID string `json:"session_id"`
	Username  string `json:"username"`
	Node      string `json:"node"`
	Reason    int    `json:"reason"`
}

func (p presence) x() xoxo.Presence {
	return xoxo.Presence{UserID: p.UserID, SessionID: p.SessionID, Username: p.Username, Node: p.Node, Reason: p.Reason}
}

type matchedUser struct {
	Presence   presence       `json:"presence"`
	Properties map[string]any `json:"properties"`
}

type message struct {
	Sender presence `json:"sender"`
	OpCode int64    `json:"op_code"`
	Data   []byte   `json:"data"`
}

type command struct {
	Op        string            `json:"op"`
	ClockMs   int64             `json:"clock_ms"`
	Tick      int64             `json:"tick"`
	MatchID   string            `json:"match_id"`
	Env       map[string]string `json:"env"`
	Matched   []matchedUser     `json:"matched"`
	Seeds     map[string]string `json:"seeds"` // owner id -> a leaderboard record's metadata already there
	Presence  presence          `json:"presence"`
	Metadata  map[string]string `json:"metadata"`
	Presences []presence        `json:"presences"`
	Messages  []message         `json:"messages"`
	Grace     int               `json:"grace"`
	Data      string            `json:"data"`
	Fail      string            `json:"fail"` // "store" or "board": that server call fails from now on
}

type event struct {
	Kind       string         `json:"kind"`
	OpCode     int64          `json:"op_code,omitempty"`
	To         []string       `json:"to,omitempty"`
	Data       []byte         `json:"data,omitempty"`
	Collection string         `json:"collection,omitempty"`
	Key        string         `json:"key,omitempty"`
	Value      map[string]any `json:"value,omitempty"`
	Level      string         `json:"level,omitempty"`
	Text       string         `json:"text,omitempty"`
}

type reply struct {
	Events   []event `json:"events"`
	Label    string  `json:"label"`
	Alive    bool    `json:"alive"`
	TickRate int     `json:"tick_rate,omitempty"`
	Allowed  bool    `json:"allowed,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	Result   string  `json:"result,omitempty"`
	Params   any     `json:"params,omitempty"`
}

// server is Nakama's part: it records what the match does.
type server struct {
	clockMs int64
	events  []event
	board   map[string][]byte
	fail    map[string]bool
}

func (s *server) NowMillis() int64 { return s.clockMs }

func (s *server) Send(op int64, data []byte, to []xoxo.Presence) {
	ids := make([]string, len(to))
	for i, p := range to {
		ids[i] = p.SessionID
	}
	if data == nil {
		data = []byte{}
	}
	s.events = append(s.events, event{Kind: "send", OpCode: op, To: ids, Data: data})
}

func (s *server) Kick(p xoxo.Presence) {
	s.events = append(s.events, event{Kind: "kick", To: []string{p.SessionID}})
}

func (s *server) Label(label string) { s.events = append(s.events, event{Kind: "label", Text: label}) }

func (s *server) StoreGame(collection, key string, value []byte) error {
	if s.fail["store"] {
		return errors.New("storage is down")
	}
	var v map[string]any
	if err := json.Unmarshal(value, &v); err != nil {
		return err
	}
	s.events = append(s.events, event{Kind: "store", Collection: collection, Key: key, Value: v})
	return nil
}

func (s *server) Standings(board string, owners []string) (map[string][]byte, error) {
	if s.fail["board"] {
		return nil, errors.New("the leaderboard is down")
	}
	out := map[string][]byte{}
	for _, o := range owners {
		if meta, ok := s.board[o]; ok {
			out[o] = meta
		}
	}
	return out, nil
}

func (s *server) WriteStanding(board, owner, username string, score, subscore int64, metadata map[string]any) error {
	if s.fail["board"] {
		return errors.New("the leaderboard is down")
	}
	meta, err := json.Marshal(metadata)
	if err != nil {
		return err
	}
	s.board[owner] = meta
	s.events = append(s.events, event{Kind: "board", Key: board, Value: map[string]any{"leaderboard_id": board,
		"owner_id": owner, "username": username, "score": score, "subscore": subscore, "metadata": string(meta)}})
	return nil
}

// Together makes the calls one after another, in the order given: what they record comes out in that order.
func (s *server) Together(calls ...func()) {
	for _, call := range calls {
		call()
	}
}

func (s *server) log(level, text string) {
	s.events = append(s.events, event{Kind: "log", Level: level, Text: text})
}

func (s *server) Info(msg string)  { s.log("info", msg) }
func (s *server) Warn(msg string)  { s.log("warn", msg) }
func (s *server) Error(msg string) { s.log("error", msg) }

func presences(ps []presence) []xoxo.Presence {
	out := make([]xoxo.Presence, len(ps))
	for i, p := range ps {
		out[i] = p.x()
	}
	return out
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	srv := &server{}
	var m *xoxo.Match
	alive := false
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, "xoxodiff: cannot read a command:", err)
			os.Exit(2)
		}
		srv.clockMs = c.ClockMs
		r := reply{}
		switch c.Op {
		case "create":
			srv.board, srv.fail, srv.events = map[string][]byte{}, map[string]bool{}, nil
			for owner, meta := range c.Seeds {
				srv.board[owner] = []byte(meta)
			}
			var params xoxo.Params
			if c.Matched != nil {
				users := make([]xoxo.MatchedUser, len(c.Matched))
				for i, u := range c.Matched {
					users[i] = xoxo.MatchedUser{Presence: u.Presence.x(), Properties: u.Properties}
				}
				raw, _ := xoxo.MatchParams(users)
				r.Params = raw
				params = xoxo.ParamsFrom(raw)
			}
			settings := xoxo.SettingsFromEnv(c.Env, srv.Warn)
			m, r.TickRate, r.Label = xoxo.New(srv, c.MatchID, settings, params)
			alive = true
		case "fail":
			srv.fail[c.Fail] = true
		case "attempt":
			r.Allowed, r.Reason = m.JoinAttempt(srv, c.Tick, c.Presence.x(), c.Metadata)
		case "join":
			alive = m.Join(srv, c.Tick, presences(c.Presences))
		case "leave":
			alive = m.Leave(srv, c.Tick, presences(c.Presences))
		case "loop":
			msgs := make([]xoxo.Message, len(c.Messages))
			for i, msg := range c.Messages {
				msgs[i] = xoxo.Message{Sender: msg.Sender.x(), OpCode: msg.OpCode, Data: msg.Data}
			}
			alive = m.Loop(srv, c.Tick, msgs)
		case "terminate":
			alive = m.Terminate(srv, c.Tick, c.Grace)
		case "signal":
			r.Result = m.Signal(c.Tick, c.Data)
		default:
			fmt.Fprintln(os.Stderr, "xoxodiff: unknown op", c.Op)
			os.Exit(2)
		}
		r.Events, srv.events = srv.events, nil
		if r.Events == nil {
			r.Events = []event{}
		}
		r.Alive = alive
		if m != nil {
			r.Label = m.Label()
		}
		if err := enc.Encode(r); err != nil {
			os.Exit(1)
		}
		if err := out.Flush(); err != nil {
			os.Exit(1)
		}
	}
}
