--[[
xoxo_plus_match: the tic-tac-toe match handler for Nakama's authoritative matches.

The same game as the Python handler game/match.py (XoxoMatch), message for message;
tests/nakama/ keeps the two equal with a differential test. On the wire it speaks
XOXO's payloads (PROTOCOL.md section 4) plus the extensions of docs/PROTOCOL.md:

  op 1  client -> server  a move {"row": 1..3, "col": 1..3}, read by xoxo_plus_json as
                          game/xoxo.py's decode_move reads it (at most 128 bytes of
                          strict UTF-8 JSON; 2.0 is 2)
  op 2  server -> each    the state from the receiver's point of view (XOXO's shape plus
                          our fields); plain text "Server shutting down in N seconds" at
                          terminate
  op 3  server -> sender  a refusal {"reason": WORD, "message": TEXT}; nothing changes
  op 4  client -> server  "I want the next game"
  op 5  server -> players the match is over: {"user_id", "username", "reason"}

Only the player whose turn it is may move, inside the board, on an empty cell, while
the game is on. Each game's first player alternates. A turn has a deadline; a player
who lets two turns in a row run out is taken out of the match. A dropped player's seat
is held for a grace period and the same user joining again (by match id) gets it back.
After a game the next starts when both ask, or when the countdown runs out if a player
did not declare our protocol in match_join metadata (XOXO's behaviour); otherwise the
match ends. Every finished game is recorded (log line and storage object) before
anyone is told the result.

Time is tick / tick rate, so every deadline moves with Nakama's match loop. Every
client payload is read inside pcall: nothing a client sends can raise an error out of a
hook (Nakama stops a match whose hook raises). A hook that fails anyway (a bug) ends
the match the way our own host does: the players get a plain-text op 2 and the error
is logged.

Settings come from the runtime.env of Nakama's configuration (docs/NAKAMA.md):
xoxo_plus_tick_rate, xoxo_plus_turn_seconds, xoxo_plus_grace_seconds,
xoxo_plus_rematch_seconds, xoxo_plus_join_timeout_seconds, xoxo_plus_games_collection.
]]

local nk = require("nakama")
local json = require("xoxo_plus_json")

local M = {}

local OP_MOVE, OP_STATE, OP_REJECTED, OP_REMATCH, OP_OPPONENT_GONE = 1, 2, 3, 4, 5
local PROTOCOL = 2
local EMPTY = -1
local TIMEOUTS_TO_REMOVE = 2
local RETURN_SECONDS = 5
local PRESENCE_LEAVE = 3 -- Nakama's PresenceReasonLeave: match_leave; a closed socket is 4 (Disconnect)
local MOVE_SHAPE = 'a move must be JSON like {"row": 1, "col": 3}'
local OUT_OF_BOUNDS = "row and col must be whole numbers 1 to 3"
local UNKNOWN_OP = "that op code means nothing here"
local FAILED_NOTICE = "This match stopped because of a server error."

M.DEFAULTS = {
  tick_rate = 10,
  turn_seconds = 30,
  grace_seconds = 20,
  rematch_seconds = 10,
  join_timeout_seconds = 30,
  games_collection = "xoxo_plus_games",
}

local LINES = {
  { { 1, 1 }, { 1, 2 }, { 1, 3 } }, { { 2, 1 }, { 2, 2 }, { 2, 3 } }, { { 3, 1 }, { 3, 2 }, { 3, 3 } },
  { { 1, 1 }, { 2, 1 }, { 3, 1 } }, { { 1, 2 }, { 2, 2 }, { 3, 2 } }, { { 1, 3 }, { 2, 3 }, { 3, 3 } },
  { { 1, 1 }, { 2, 2 }, { 3, 3 } }, { { 1, 3 }, { 2, 2 }, { 3, 1 } },
}

local function other(player)
  return 3 - player
end

local function whole(n)
  return string.format("%.0f", n)
end

local function log(level, fmt, ...)
  local ok, message = pcall(string.format, fmt, ...)
  if not ok then message = fmt end
  if level == "error" then nk.logger_error(message)
  elseif level == "warn" then nk.logger_warn(message)
  else nk.logger_info(message) end
end

-- Settings ------------------------------------------------------------------------------

-- A decimal number from runtime.env ("30", "2.5"); nil for anything else.
local function env_number(text)
  if type(text) ~= "string" then return nil end
  local trimmed = text:match("^%s*(.-)%s*$")
  if trimmed:match("^[0-9]+$") or trimmed:match("^[0-9]+%.[0-9]+$") then return tonumber(trimmed) end
  return nil
end

--- The match settings from the runtime environment (context.env), defaults for
--- anything missing; a value that does not make sense is logged and ignored.
function M.settings_from_env(env)
  env = env or {}
  local s = {}
  local function pick(key, ok)
    local raw = env["xoxo_plus_" .. key]
    local v = M.DEFAULTS[key]
    if raw ~= nil then
      local n = env_number(raw)
      if n ~= nil and ok(n) then
        v = n
      else
        log("warn", "xoxo_plus: ignoring runtime.env xoxo_plus_%s=%s, using %s", key, tostring(raw), tostring(v))
      end
    end
    s[key] = v
  end
  pick("tick_rate", function(n) return n >= 1 and n <= 60 and n == math.floor(n) end)
  pick("turn_seconds", function(n) return n >= 0 end)
  pick("grace_seconds", function(n) return n >= 0 end)
  pick("join_timeout_seconds", function(n) return n > 0 end)
  local rematch = env.xoxo_plus_rematch_seconds
  if type(rematch) == "string" and rematch:match("^%s*[Nn][Oo][Nn][Ee]%s*$") then
    s.rematch_seconds = false -- no countdown: the next game starts only when both ask
  else
    pick("rematch_seconds", function(n) return n == math.floor(n) end)
  end
  local collection = env.xoxo_plus_games_collection
  if collection == nil then collection = M.DEFAULTS.games_collection end
  s.games_collection = collection
  return s
end

-- The label (Nakama's, JSON: MatchLabel in game/xoxo.py) ---------------------------------

local function label_of(state)
  local open = (#state.seats < 2 and not state.ended) and 1 or 0
  return string.format('{"protocol":%d,"open":%d,"game":%d}', PROTOCOL, open, state.game)
end

-- The board -----------------------------------------------------------------------------

local function new_board(first)
  local cells = {}
  for i = 1, 9 do cells[i] = EMPTY end
  return { cells = cells, first = first, to_move = first, moves = {}, outcome = nil }
end

local function at(board, row, col)
  return board.cells[(row - 1) * 3 + col]
end

-- The outcome the cells decide: a line (the first in LINES order), a full board, or nil.
local function judge(cells)
  for _, line in ipairs(LINES) do
    local a = cells[(line[1][1] - 1) * 3 + line[1][2]]
    local b = cells[(line[2][1] - 1) * 3 + line[2][2]]
    local c = cells[(line[3][1] - 1) * 3 + line[3][2]]
    if a ~= EMPTY and a == b and b == c then
      return { termination = "line", winner = a, line = line }
    end
  end
  for i = 1, 9 do
    if cells[i] == EMPTY then return nil end
  end
  return { termination = "draw" }
end

-- nil if `player` may mark (row, col) now, else the refusal (reason, message): the
-- checks of game.rules.Board.check, in its order. row and col are what
-- xoxo_plus_json.read_move made of the payload: 1, 2, 3, or false for anything else.
local function check(board, row, col, player)
  if not (row and col) then return "out_of_bounds", OUT_OF_BOUNDS end
  if board.outcome ~= nil then return "game_over", "the game is over" end
  if player ~= board.to_move then
    return "not_your_turn", string.format("it is player %d's turn, not player %d's", board.to_move, player)
  end
  if at(board, row, col) ~= EMPTY then
    return "occupied", string.format("cell (%d, %d) is already taken", row, col)
  end
  return nil
end

local function play(board, r, c)
  local mover = board.to_move
  local cells, moves = {}, {}
  for i = 1, 9 do cells[i] = board.cells[i] end
  for i, m in ipairs(board.moves) do moves[i] = m end
  cells[(r - 1) * 3 + c] = mover
  moves[#moves + 1] = { r, c, mover }
  return { cells = cells, first = board.first, to_move = other(mover), moves = moves, outcome = judge(cells) }
end

local function finished(board, termination, winner)
  return { cells = board.cells, first = board.first, to_move = board.to_move, moves = board.moves,
    outcome = { termination = termination, winner = winner } }
end

-- Presences -----------------------------------------------------------------------------

local function copy_presence(p)
  return { user_id = p.user_id, session_id = p.session_id, username = p.username, node = p.node or "" }
end

-- PRESENCE_FULL of PROTOCOL.md: the presence plus node and reason.
local function full(p)
  return { user_id = p.user_id, session_id = p.session_id, username = p.username, node = p.node, reason = 0 }
end

-- The client's declaration in match_join metadata (declared_protocol in game/xoxo.py).
local function declared_protocol(metadata)
  if type(metadata) ~= "table" then return 0 end
  local v = metadata.protocol
  if type(v) == "string" and #v >= 1 and #v <= 6 and v:match("^[0-9]+$") then return tonumber(v) end
  return 0
end

-- One call of a hook: the state, the dispatcher and the time -------------------------------

local Run = {}
Run.__index = Run

local function begin(state, dispatcher, tick)
  return setmetatable({ s = state, d = dispatcher, now = tick / state.tick_rate }, Run)
end

function Run:wall()
  return nk.time() / 1000
end

function Run:send(op, data, to)
  if #to > 0 then self.d.broadcast_message(op, data, to) end
end

function Run:seat_of(presence)
  for i, seat in ipairs(self.s.seats) do
    if seat.presence.user_id == presence.user_id then return i end
  end
  return 0
end

function Run:connected_presences()
  local out = {}
  for _, seat in ipairs(self.s.seats) do
    if seat.connected then out[#out + 1] = seat.presence end
  end
  return out
end

function Run:all_connected()
  for _, seat in ipairs(self.s.seats) do
    if not seat.connected then return false end
  end
  return true
end

function Run:refuse(to, reason, message)
  self:send(OP_REJECTED, nk.json_encode({ reason = reason, message = message }), { to })
end

function Run:countdown()
  local c = math.ceil(self.s.rematch_deadline - self.now - 1e-9)
  if c < 0 then return 0 end
  return c
end

-- The clocks

function Run:restart_turn_clock()
  local t = self.s.settings.turn_seconds
  if t > 0 then self.s.turn_deadline = self.now + t else self.s.turn_deadline = nil end
  if not self:all_connected() then self:pause_turn_clock() end
end

function Run:pause_turn_clock()
  local s = self.s
  if s.turn_deadline ~= nil then
    local left = s.turn_deadline - self.now
    if not (left > 0) then left = 0 end
    s.turn_remaining = left
    s.turn_deadline = nil
  end
end

function Run:resume_turn_clock()
  local s = self.s
  if s.turn_remaining ~= nil and self:all_connected() then
    local board = s.board
    if board ~= nil and board.outcome == nil then
      local floor = s.settings.turn_seconds
      if not (floor < RETURN_SECONDS) then floor = RETURN_SECONDS end
      local wait = s.turn_remaining
      if floor > wait then wait = floor end
      s.turn_deadline = self.now + wait
    end
    s.turn_remaining = nil
  end
end

-- The state each player sees (encode_state in game/xoxo.py)

function Run:broadcast(only)
  local s = self.s
  local board = s.board
  if board == nil then return end
  local countdown
  if board.outcome ~= nil and s.rematch_deadline ~= nil then
    countdown = self:countdown()
    s.countdown_shown = countdown
  end
  local left
  if board.outcome == nil then
    if s.turn_deadline ~= nil then left = s.turn_deadline - self.now
    elseif s.turn_remaining ~= nil then left = s.turn_remaining end
  end
  local targets
  if only ~= nil then
    targets = {}
    for _, p in ipairs(only) do targets[p.session_id] = true end
  end
  local seats = s.seats
  local players = {}
  for i, seat in ipairs(seats) do players[i] = full(seat.presence) end
  local asked = { seats[1] ~= nil and seats[1].wants_rematch, seats[2] ~= nil and seats[2].wants_rematch }
  local rows = {}
  for r = 1, 3 do rows[r] = { at(board, r, 1), at(board, r, 2), at(board, r, 3) } end
  local out = board.outcome
  for i, seat in ipairs(seats) do
    if seat.connected and (targets == nil or targets[seat.presence.session_id]) then
      local opponent = (#seats == 2) and seats[other(i)] or nil
      local state = {
        cells = rows,
        players = players,
        player_turn = board.to_move,
        winner = (out ~= nil and out.winner ~= nil) and out.winner or false,
        draw = out ~= nil and out.winner == nil,
        game = s.game,
        opponent_connected = opponent ~= nil and opponent.connected,
      }
      if out ~= nil then
        state.reason = out.termination
        if out.line ~= nil then state.line = out.line end
        if countdown ~= nil then state.rematch_countdown = countdown end
        state.rematch_asked = asked
        state.rematch_mode = s.rematch_mode
      elseif left ~= nil then
        if not (left > 0) then left = 0 end
        state.turn_seconds_left = tonumber(string.format("%.2f", left))
        state.turn_seconds = s.settings.turn_seconds
      end
      local payload = {
        state = state,
        active_player = players[board.to_move],
        other_player = players[other(board.to_move)],
        your_turn = out == nil and board.to_move == i,
        you = i,
      }
      self:send(OP_STATE, nk.json_encode(payload), { seat.presence })
    end
  end
end

-- Games

local TERMINATION_TEXT = { line = "with a line", draw = "draw", timeout = "ran out of time", opponent_left = "left" }

function Run:record(board)
  local s = self.s
  local p1, p2 = s.seats[1].presence, s.seats[2].presence
  local out = board.outcome
  local value = {
    match_id = s.match_id,
    game = s.game,
    player1_id = p1.user_id,
    player1_name = p1.username,
    player2_id = p2.user_id,
    player2_name = p2.username,
    first = board.first,
    termination = out.termination,
    started_at = s.game_started_at,
    ended_at = self:wall(),
  }
  if #board.moves > 0 then value.moves = board.moves end -- an empty Lua table would be written as {}
  if out.winner ~= nil then value.winner = out.winner end
  if out.line ~= nil then value.line = out.line end
  local names = { p1.username, p2.username }
  local summary
  if out.winner == nil then
    summary = string.format("%s and %s drew", p1.username, p2.username)
  elseif out.termination == "line" then
    summary = string.format("%s beat %s with a line", names[out.winner], names[other(out.winner)])
  else
    summary = string.format("%s beat %s (%s %s)", names[out.winner], names[other(out.winner)],
      names[other(out.winner)], TERMINATION_TEXT[out.termination])
  end
  local collection = s.settings.games_collection
  if collection ~= "" then
    local ok, err = pcall(nk.storage_write, { {
      collection = collection,
      key = s.match_id .. "/" .. whole(s.game),
      value = value,
      permission_read = 0,
      permission_write = 0,
    } })
    if not ok then
      log("error", "GAME NOT SAVED: match %s game %d: %s: %s", s.match_id, s.game, summary, tostring(err))
    end
  end
  log("info", "match %s game %d over: %s", s.match_id, s.game, summary)
end

function Run:start_game()
  local s = self.s
  local first = 1
  if s.board ~= nil then first = other(s.board.first) end
  s.board = new_board(first)
  s.game = s.game + 1
  s.game_started_at = self:wall()
  s.rematch_deadline = nil
  s.countdown_shown = nil
  for _, seat in ipairs(s.seats) do seat.wants_rematch = false end
  s.turn_remaining = nil
  self:restart_turn_clock()
  self:broadcast()
end

function Run:finish(board)
  local s = self.s
  s.board = board
  s.turn_deadline = nil
  s.turn_remaining = nil
  self:record(board)
  local seconds = s.settings.rematch_seconds
  local consent = seconds == false
  if not consent then
    consent = true
    for _, seat in ipairs(s.seats) do
      if seat.protocol < 2 then consent = false end
    end
  end
  s.rematch_mode = consent and "consent" or "auto"
  if seconds ~= false then s.rematch_deadline = self.now + seconds else s.rematch_deadline = nil end
  self:broadcast()
end

function Run:finish_match()
  local s = self.s
  s.ended = true
  s.turn_deadline, s.rematch_deadline, s.join_deadline = nil, nil, nil
  for _, seat in ipairs(s.seats) do seat.grace_deadline = nil end
  log("info", "match %s ended", s.match_id)
end

function Run:close(gone, to)
  if #to > 0 then self:send(OP_OPPONENT_GONE, nk.json_encode(gone), to) end
  self:finish_match()
end

local function gone_of(reason, presence)
  if presence == nil then return { user_id = "", username = "", reason = reason } end
  return { user_id = presence.user_id, username = presence.username, reason = reason }
end

function Run:abandon(index, reason)
  local s = self.s
  local board = s.board
  local gone = s.seats[index].presence
  if board ~= nil and board.outcome == nil and #s.seats == 2 then
    board = finished(board, "opponent_left", other(index))
    s.board = board
    self:record(board)
  end
  local remaining = {}
  for i, seat in ipairs(s.seats) do
    if i ~= index and seat.connected then remaining[#remaining + 1] = seat.presence end
  end
  if board ~= nil and #remaining > 0 then self:broadcast(remaining) end
  self:close(gone_of(reason, gone), remaining)
end

function Run:no_rematch()
  local s = self.s
  for i, seat in ipairs(s.seats) do
    if seat.connected and #s.seats == 2 then
      local them = s.seats[other(i)].presence
      self:send(OP_OPPONENT_GONE, nk.json_encode(gone_of("no_rematch", them)), { seat.presence })
    end
  end
  self:finish_match()
end

function Run:no_show()
  local s = self.s
  local seated = {}
  for _, seat in ipairs(s.seats) do seated[seat.presence.user_id] = true end
  local missing
  for _, p in ipairs(s.settings.expected or {}) do
    if not seated[p.user_id] then
      missing = p
      break
    end
  end
  self:close(gone_of("no_show", missing), self:connected_presences())
end

function Run:time_out(board)
  local s = self.s
  local loser = board.to_move
  local seat = s.seats[loser]
  seat.timeouts = seat.timeouts + 1
  self:finish(finished(board, "timeout", other(loser)))
  if seat.timeouts >= TIMEOUTS_TO_REMOVE then
    self:close(gone_of("timed_out", seat.presence), self:connected_presences())
  end
end

-- Moves and rematches

function Run:move(index, message)
  local s = self.s
  local board = s.board
  if board == nil then
    self:refuse(message.sender, "not_started", "wait for your opponent to join")
    return
  end
  local row, col = json.read_move(message.data)
  if row == nil then
    self:refuse(message.sender, "bad_payload", MOVE_SHAPE)
    return
  end
  local reason, text = check(board, row, col, index)
  if reason ~= nil then
    self:refuse(message.sender, reason, text)
    return
  end
  board = play(board, row, col)
  s.seats[index].timeouts = 0
  if board.outcome ~= nil then
    self:finish(board)
  else
    s.board = board
    self:restart_turn_clock()
    self:broadcast()
  end
end

function Run:rematch(index, sender)
  local s = self.s
  local board = s.board
  if board == nil or board.outcome == nil then
    self:refuse(sender, "game_in_progress", "finish this game first")
    return
  end
  local seat = s.seats[index]
  if seat.wants_rematch then return end
  seat.wants_rematch = true
  local both = #s.seats == 2
  for _, st in ipairs(s.seats) do
    if not (st.wants_rematch and st.connected) then both = false end
  end
  if both then self:start_game() else self:broadcast() end
end

-- The runtime hooks of XoxoMatch

function Run:join_attempt(presence, metadata)
  local s = self.s
  if s.ended then return "this match has ended" end
  if self:seat_of(presence) == 0 then
    local expected = s.settings.expected
    if expected ~= nil then
      local matched = false
      for _, p in ipairs(expected) do
        if p.user_id == presence.user_id then matched = true end
      end
      if not matched then return "you were not matched into this game" end
    end
    if #s.seats >= 2 then return "this game is full" end
  end
  s.declared[presence.session_id] = declared_protocol(metadata)
  return nil
end

function Run:join(presence)
  local s = self.s
  local protocol = s.declared[presence.session_id] or 0
  s.declared[presence.session_id] = nil
  local index = self:seat_of(presence)
  if index > 0 then
    local seat = s.seats[index]
    if seat.connected and seat.presence.session_id ~= presence.session_id then
      -- The user came back on a new session while the old one is still in the match:
      -- take the old one out (as our host closes its socket); its leave is then stale.
      self.d.match_kick({ seat.presence })
    end
    seat.presence = copy_presence(presence)
    seat.protocol = protocol
    seat.connected = true
    seat.grace_deadline = nil
    self:resume_turn_clock()
    if s.board ~= nil then self:broadcast() end
    return
  end
  if s.ended or #s.seats >= 2 then return end
  s.seats[#s.seats + 1] = { presence = copy_presence(presence), protocol = protocol, connected = true,
    wants_rematch = false, timeouts = 0 }
  if #s.seats == 2 and s.board == nil then
    s.join_deadline = nil
    self:start_game()
  end
end

function Run:leave(presence, reason)
  local s = self.s
  s.declared[presence.session_id] = nil
  local index = self:seat_of(presence)
  if index == 0 or s.ended then return end
  local seat = s.seats[index]
  if seat.presence.session_id ~= presence.session_id then return end -- a stale session
  if reason == "left" or s.board == nil then
    self:abandon(index, reason)
    return
  end
  seat.connected = false
  seat.grace_deadline = self.now + s.settings.grace_seconds
  self:pause_turn_clock()
  for _, st in ipairs(s.seats) do
    if st.connected then
      self:broadcast()
      return
    end
  end
end

function Run:handle(message)
  local s = self.s
  local index = self:seat_of(message.sender)
  if index == 0 or s.ended then return end
  if s.seats[index].presence.session_id ~= message.sender.session_id then return end
  local op = message.op_code
  if op == OP_MOVE then
    self:move(index, message)
  elseif op == OP_REMATCH then
    self:rematch(index, message.sender)
  else
    self:refuse(message.sender, "unknown_op", UNKNOWN_OP)
  end
end

function Run:tick()
  local s = self.s
  if s.ended then return end
  local now = self.now
  for i, seat in ipairs(s.seats) do
    if seat.grace_deadline ~= nil and now >= seat.grace_deadline then
      self:abandon(i, "disconnected")
      return
    end
  end
  local board = s.board
  if board == nil then
    if s.join_deadline ~= nil and now >= s.join_deadline then self:no_show() end
    return
  end
  if board.outcome == nil then
    if s.turn_deadline ~= nil and now >= s.turn_deadline then self:time_out(board) end
    return
  end
  if s.rematch_deadline == nil then return end
  if now >= s.rematch_deadline then
    if s.rematch_mode == "auto" then self:start_game() else self:no_rematch() end
  elseif self:countdown() ~= s.countdown_shown then
    self:broadcast()
  end
end

function Run:terminate(message)
  if self.s.ended then return end
  self:send(OP_STATE, message, self:connected_presences())
  self:finish_match()
end

-- Runs `body` on the state; returns the state to hand back to Nakama (nil ends the match).
-- A failure ends the match for everyone, as our host does, instead of raising into Nakama.
local function guarded(state, dispatcher, tick, hook, body)
  local run = begin(state, dispatcher, tick)
  local ok, err = pcall(body, run)
  if not ok then
    log("error", "xoxo_plus: match %s failed in %s, ending it: %s", tostring(state.match_id), hook, tostring(err))
    pcall(function() run:send(OP_STATE, FAILED_NOTICE, run:connected_presences()) end)
    state.ended = true
    return nil
  end
  if state.ended then return nil end
  local label = label_of(state)
  if label ~= state.label then
    dispatcher.match_label_update(label)
    state.label = label
  end
  return state
end

-- Nakama's match handler ------------------------------------------------------------------

function M.match_init(context, params)
  local settings = M.settings_from_env(context.env)
  local expected
  if type(params) == "table" and type(params.expected) == "table" then
    expected = {}
    for _, p in ipairs(params.expected) do
      if type(p) == "table" and type(p.user_id) == "string" then expected[#expected + 1] = copy_presence(p) end
    end
  end
  settings.expected = expected
  local state = {
    match_id = context.match_id,
    tick_rate = settings.tick_rate,
    settings = settings,
    seats = {},
    declared = {},
    game = 0,
    game_started_at = 0,
    rematch_mode = "auto",
    ended = false,
  }
  if expected ~= nil and #expected > 0 then state.join_deadline = settings.join_timeout_seconds end
  state.label = label_of(state)
  return state, settings.tick_rate, state.label
end

function M.match_join_attempt(context, dispatcher, tick, state, presence, metadata)
  local run = begin(state, dispatcher, tick)
  local ok, result = pcall(run.join_attempt, run, presence, metadata)
  if not ok then
    log("error", "xoxo_plus: match %s failed in match_join_attempt: %s", tostring(state.match_id), tostring(result))
    return state, false, "this match cannot take players right now"
  end
  if result ~= nil then return state, false, result end
  return state, true
end

function M.match_join(context, dispatcher, tick, state, presences)
  return guarded(state, dispatcher, tick, "match_join", function(run)
    for _, p in ipairs(presences) do run:join(p) end
  end)
end

function M.match_leave(context, dispatcher, tick, state, presences)
  return guarded(state, dispatcher, tick, "match_leave", function(run)
    for _, p in ipairs(presences) do
      run:leave(p, (p.reason == PRESENCE_LEAVE) and "left" or "disconnected")
    end
  end)
end

function M.match_loop(context, dispatcher, tick, state, messages)
  return guarded(state, dispatcher, tick, "match_loop", function(run)
    for _, m in ipairs(messages) do run:handle(m) end
    run:tick()
  end)
end

function M.match_terminate(context, dispatcher, tick, state, grace_seconds)
  return guarded(state, dispatcher, tick, "match_terminate", function(run)
    run:terminate(string.format("Server shutting down in %s seconds", whole(grace_seconds)))
  end)
end

function M.match_signal(context, dispatcher, tick, state, data)
  -- No signals are defined; the answer is the current label, for operators' tools.
  return state, state.label
end

return M
