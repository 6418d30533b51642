--[[
xoxo_plus_match: the tic-tac-toe match handler for Nakama's authoritative matches.

The same game as the Python handler game/match.py (XoxoMatch), message for message;
tests/nakama/ keeps the two equal with a differential test. On the wire it speaks
XOXO's payloads (PROTOCOL.md section 4) plus the extensions of docs/PROTOCOL.md:

  op 1  client -> server  a move {"row": 1..3, "col": 1..3}, read as game/xoxo.py's
                          decode_move reads it (at most 128 bytes of strict UTF-8 JSON;
                          2.0 is 2): the usual spelling here, any other by xoxo_plus_json
  op 2  server -> each    the state from the receiver's point of view (XOXO's shape plus
                          our fields); plain text "Server shutting down in N seconds" at
                          terminate
  op 3  server -> sender  a refusal {"reason": WORD, "message": TEXT}; nothing changes
  op 4  client -> server  "I want the next game"
  op 5  server -> players the match is over: {"user_id", "username", "reason"}
  op 6  client -> server  {"claim": "win"} or {"claim": "draw"} against an opponent away
                          for more than half their seat hold (revision 3)
  op 7  server -> players the rating change after a rated game (revision 3)
  op 8  both ways         a quick reaction {"reaction": ID}, relayed to the opponent with the
                          sender named; at most 3 in any 10 s a player (revision 4)

Only the player whose turn it is may move, inside the board, on an empty cell, while
the game is on. Each game's first player alternates. A turn has a deadline; a player
who lets two turns in a row run out is taken out of the match. A dropped player's seat
is held for a grace period and the same user joining again (by match id) gets it back.
After a game the next starts when both ask, or when the countdown runs out if a player
did not declare our protocol in match_join metadata (XOXO's behaviour); otherwise the
match ends. Every finished game is recorded (log line and storage object) before
anyone is told the result.

Revision 3 (docs/PROTOCOL.md): after half the seat hold the player left may claim the
win or call a draw; between two clients that declared 3 a first move never made aborts
the game (twice in a row: treated as having left) and after a game the offer of the
next one stays open until a player leaves or the match is idle for idle_seconds. A
match the matchmaker made without a friend code is rated: the match reads the players'
standings from the leaderboard xoxo_rating when a game ends (the same user may be in
another rated match), rates each game with a result (Glicko-2, equal to game/rating.py
to the last bit) and writes both records after the game's storage object; the ratings
shown in the next game are the ones written. Declared players get op 7.
Revision 4: a player who declared it may send a quick reaction (op 8), relayed to an
opponent who declared it too.

Time is tick / tick rate, so every deadline moves with Nakama's match loop. Every
client payload is read inside pcall: nothing a client sends can raise an error out of a
hook (Nakama stops a match whose hook raises). A hook that fails anyway (a bug) ends
the match the way our own host ends it: the players get a plain-text op 2 and the error
is logged.

Why the code is shaped as it is (docs/NAKAMA.md, "Where the memory and CPU went"):
Nakama gives every match a Lua VM of its own and compiles this file (and whatever it
requires) from source into it, and gopher-lua's compiler leaves each function
definition holding about 16 KB for as long as the match lives, however short the
function. So this file compiles into four functions: the chunk, `event` (the game's
steps, the ratings' reading and writing among them, are its sections), `glicko`
(Glicko-2) and the one function of which the seven hooks are closures;
tests/nakama/test_costs.py holds the count to that budget. The full JSON reader
(xoxo_plus_json, 18 more functions) is only loaded by a match that receives a payload not
spelled as our client spells it. The state each player receives is written as JSON text
here, with each player's presence encoded once per join, rather than a table handed to
nk.json_encode per message.

Settings come from the runtime.env of Nakama's configuration (docs/NAKAMA.md):
xoxo_plus_tick_rate, xoxo_plus_turn_seconds, xoxo_plus_grace_seconds,
xoxo_plus_rematch_seconds, xoxo_plus_join_timeout_seconds, xoxo_plus_idle_seconds,
xoxo_plus_games_collection.
]]

local nk = require("nakama")

local M = {}

local OP_MOVE, OP_STATE, OP_REJECTED, OP_REMATCH, OP_OPPONENT_GONE, OP_CLAIM, OP_RATING = 1, 2, 3, 4, 5, 6, 7
local OP_REACTION = 8
local PROTOCOL = 4
local REVISION_3 = 3 -- the revision both players must declare for its rules (abort, the open offer)
local REVISION_4 = 4 -- the revision a player must declare to send or see quick reactions
local REACTION_LIMIT, REACTION_WINDOW = 3, 10 -- reactions a player may send in any this many seconds
local REACTION_SHAPE = 'a reaction must be JSON like {"reaction": "good_game"}, with one of the six reaction ids'
local EMPTY = -1
local TIMEOUTS_TO_REMOVE = 2
local RETURN_SECONDS = 5
local PRESENCE_LEAVE = 3 -- Nakama's PresenceReasonLeave: match_leave; a closed socket is 4 (Disconnect)
local MOVE_SHAPE = 'a move must be JSON like {"row": 1, "col": 3}'
local OUT_OF_BOUNDS = "row and col must be whole numbers 1 to 3"
local UNKNOWN_OP = "that op code means nothing here"
local FAILED_NOTICE = "This match stopped because of a server error."
local LABEL = '{"protocol":%d,"open":%d,"game":%d,"rated":%d}' -- MatchLabel in game/xoxo.py
local CLAIM_SHAPE = 'a claim must be JSON like {"claim": "win"} or {"claim": "draw"}'
local NOBODY = { user_id = "", username = "" }
local RATING_BOARD = "xoxo_rating" -- the leaderboard of rated matches' standings

-- Glicko-2's constants (game/rating.py) and a standing's defaults (game/standing.py).
local SCALE, BASE, EPS, MAXI, TAU = 173.7178, 1500.0, 0.000001, 100, 0.5
local TAU_SQ = TAU * TAU
local START_DEVIATION, START_VOLATILITY, PROVISIONAL = 350.0, 0.06, 110.0
local PI = 3.141592653589793
local PI2 = PI * PI
local LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
local INV_LN2 = 1.44269504088896338700e00
local SQRT2, SQRT1_2 = 1.4142135623730951, 0.7071067811865476
local HUGE = 1 / 0 -- math.huge is the largest finite number under gopher-lua
local WAKE_MARGIN = 0.001 -- s: a tick with nothing to do is skipped until this long before a clock is due
-- A standing's fields read from a record's metadata: numbers (with their defaults), counts.
local REALS = { "rating", "deviation", "volatility", rating = BASE, deviation = START_DEVIATION,
  volatility = START_VOLATILITY }
local COUNTS = { "wins", "losses", "draws", "aborts_in_a_row" }

local floor, ceil, format, tostring, concat = math.floor, math.ceil, string.format, tostring, table.concat
local ipairs, type, pcall, tonumber = ipairs, type, pcall, tonumber -- upvalues, not globals: a global is a table lookup
local sqrt, abs = math.sqrt, math.abs

M.DEFAULTS = {
  tick_rate = 10,
  turn_seconds = 30,
  grace_seconds = 20,
  rematch_seconds = 10,
  join_timeout_seconds = 30,
  idle_seconds = 300,
  games_collection = "xoxo_plus_games",
}

-- The settings read as numbers, in the order they are checked: key, smallest, largest,
-- whole numbers only, smallest itself refused.
local NUMBER_SETTINGS = {
  { "tick_rate", 1, 60, true, false },
  { "turn_seconds", 0, nil, false, false },
  { "grace_seconds", 0, nil, false, false },
  { "join_timeout_seconds", 0, nil, false, true },
  { "rematch_seconds", 0, nil, true, false },
  { "idle_seconds", 0, nil, false, true },
}

-- The eight lines as cell indexes ((row - 1) * 3 + col), three at a time, in the order
-- game.rules checks them.
local LINES = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 4, 7, 2, 5, 8, 3, 6, 9, 1, 5, 9, 3, 5, 7 }

-- JSON text of the small numbers a state holds.
local CELL = { [EMPTY] = "-1", [1] = "1", [2] = "2" }
local DIGIT = { "1", "2", "3" }

-- The usual spellings of a move, {"row":R,"col":C} and {"row": R, "col": C} (game/xoxo.py's
-- encode_move), to the cell's index; any other payload goes to the full reader.
local MOVES = {}
for cell = 1, 9 do
  local row, col = floor((cell - 1) / 3) + 1, (cell - 1) % 3 + 1
  MOVES['{"row":' .. row .. ',"col":' .. col .. "}"] = cell
  MOVES['{"row": ' .. row .. ', "col": ' .. col .. "}"] = cell
end
-- The usual spellings of a reaction (encode_reaction); any other payload goes to the full reader.
local REACTIONS = {}
for _, id in ipairs({ "hello", "good_game", "well_played", "oops", "thinking", "rematch" }) do
  REACTIONS['{"reaction":"' .. id .. '"}'] = id
  REACTIONS['{"reaction": "' .. id .. '"}'] = id
end
-- The usual spellings of a claim (encode_claim); any other payload goes to the full reader.
local CLAIMS = { ['{"claim":"win"}'] = "win", ['{"claim": "win"}'] = "win", ['{"claim":"draw"}'] = "draw",
  ['{"claim": "draw"}'] = "draw" }

local TERMINATION_TEXT = { line = "with a line", draw = "draw", timeout = "ran out of time", opponent_left = "left",
  claimed = "was away; the win was claimed" }

-- Glicko-2 (game/rating.py), step by step in the same order (each parenthesis is an
-- evaluation order), with exp and log computed from + - * / only and sqrt otherwise:
-- those are fixed by IEEE-754, so gopher-lua gives the same bits as Python. It must not
-- use math.exp, math.log or ^ (Go's and C's differ in the last bits). The differential
-- test and tests/nakama/test_ratings_module.py keep the two equal to the last bit.

-- One function, as each costs a match memory: op "rate" (x, y, z, u, v, w = the rating,
-- deviation and volatility, the opponent's rating and deviation, the score 1, 0.5 or 0):
-- the new rating, deviation and volatility after one game (game.rating.rate with one
-- game); op "exp": exp(x); op "log": log(x) for x > 0; op "f": Step 5's f(x), with y =
-- log(sigma^2), z = delta^2, u = phi^2 and v.
local function glicko(op, x, y, z, u, v, w)
  if op == "rate" then
    local r, rd, sigma, opp_r, opp_rd, score = x, y, z, u, v, w
    local mu, phi = (r - BASE) / SCALE, rd / SCALE
    local phi_sq = phi * phi
    local gg = 1.0 / sqrt(1.0 + ((3.0 * ((opp_rd / SCALE) * (opp_rd / SCALE))) / PI2))
    local e = 1.0 / (1.0 + glicko("exp", -(gg * (mu - ((opp_r - BASE) / SCALE)))))
    local information = 0.0 + (((gg * gg) * e) * (1.0 - e))
    local surprise = 0.0 + (gg * (score - e))
    local v = 1.0 / information
    -- Step 5: the new volatility (the Illinois algorithm on f, as the paper does it).
    local delta = v * surprise
    local a = glicko("log", sigma * sigma)
    local d2 = delta * delta
    local A, B = a, nil
    if d2 > (phi_sq + v) then
      B = glicko("log", (d2 - phi_sq) - v)
    else
      local k = 1
      while glicko("f", a - (k * TAU), a, d2, phi_sq, v) < 0.0 and k < MAXI do k = k + 1 end
      B = a - (k * TAU)
    end
    local fa, fb, it = glicko("f", A, a, d2, phi_sq, v), glicko("f", B, a, d2, phi_sq, v), 0
    while abs(B - A) > EPS and it < MAXI do
      it = it + 1
      local C = A + (((A - B) * fa) / (fb - fa))
      local fc = glicko("f", C, a, d2, phi_sq, v)
      if (fc * fb) <= 0.0 then
        A = B
        fa = fb
      else
        fa = fa / 2.0
      end
      B = C
      fb = fc
    end
    local sigma_new = glicko("exp", A / 2.0)
    local phi_new = 1.0 / sqrt((1.0 / (phi_sq + (sigma_new * sigma_new))) + (1.0 / v))
    return r + (SCALE * ((phi_new * phi_new) * surprise)), SCALE * phi_new, sigma_new
  elseif op == "f" then
    local a, d2, phi_sq = y, z, u
    local ex = glicko("exp", x)
    local spread = (phi_sq + v) + ex
    return ((ex * (((d2 - phi_sq) - v) - ex)) / (2.0 * (spread * spread))) - ((x - a) / TAU_SQ)
  elseif op == "exp" then
    if x > 709.0 then return HUGE end
    if x < -745.0 then return 0.0 end
    local k = floor((x * INV_LN2) + 0.5)
    local r = (x - (k * LN2_HI)) - (k * LN2_LO)
    local p = 1.0
    for n = 14, 1, -1 do p = 1.0 + ((r / n) * p) end
    local f = (k > 0) and 2.0 or 0.5
    for _ = 1, abs(k) do p = p * f end
    return p
  end
  local m, e = x, 0.0
  while m >= SQRT2 do
    m = m / 2.0
    e = e + 1.0
  end
  while m < SQRT1_2 do
    m = m * 2.0
    e = e - 1.0
  end
  local s = (m - 1.0) / (m + 1.0)
  local s2 = s * s
  local t = 1.0 / 25 -- 1 / (2 * 12 + 1)
  for n = 11, 0, -1 do t = (1.0 / (2 * n + 1)) + (s2 * t) end
  return (e * LN2_HI) + ((e * LN2_LO) + ((2.0 * s) * t))
end

M.glicko = glicko -- for tests/nakama/test_ratings_module.py


-- One hook's work on the state: the steps of XoxoMatch ------------------------------------------

local function event(s, d, now, kind, a, b, c)
  if kind == "seat" then
    -- The seat (1 or 2) of presence a's user, or 0.
    for i, seat in ipairs(s.seats) do
      if seat.presence.user_id == a.user_id then return i end
    end
    return 0

  elseif kind == "connected" then
    -- The presences of the seated players who are connected.
    local out = {}
    for _, seat in ipairs(s.seats) do
      if seat.connected then out[#out + 1] = seat.presence end
    end
    return out

  elseif kind == "attempt" then
    -- match_join_attempt (presence a, metadata b): nil to let in, else why not.
    if s.ended then return "this match has ended" end
    if event(s, d, now, "seat", a) == 0 then
      local expected = s.settings.expected
      if expected ~= nil then
        local matched = false
        for _, p in ipairs(expected) do
          if p.user_id == a.user_id then matched = true end
        end
        if not matched then return "you were not matched into this game" end
      end
      if #s.seats >= 2 then return "this game is full" end
    end
    -- The client's declaration (declared_protocol in game/xoxo.py).
    local v = type(b) == "table" and b.protocol or nil
    local declared = 0
    if type(v) == "string" and #v >= 1 and #v <= 6 and v:match("^[0-9]+$") then declared = tonumber(v) end
    s.declared[a.session_id] = declared
    return nil

  elseif kind == "join" then
    for _, presence in ipairs(a) do
      local protocol = s.declared[presence.session_id] or 0
      s.declared[presence.session_id] = nil
      local p = { user_id = presence.user_id, session_id = presence.session_id, username = presence.username,
        node = presence.node or "" }
      local json = nk.json_encode({ user_id = p.user_id, session_id = p.session_id, username = p.username,
        node = p.node, reason = 0 }) -- PRESENCE_FULL of PROTOCOL.md, as the state lists players
      local index = event(s, d, now, "seat", presence)
      if index > 0 then
        local seat = s.seats[index]
        if seat.connected and seat.presence.session_id ~= presence.session_id then
          -- The user came back on a new session while the old one is still in the match:
          -- take the old one out (as our host closes its socket); its leave is then stale.
          d.match_kick({ seat.presence })
        end
        seat.presence, seat.json, seat.protocol, seat.connected, seat.grace_deadline = p, json, protocol, true, nil
        seat.claim_at, seat.claim_told = nil, false
        -- The turn clock goes on when both are back, with at least RETURN_SECONDS left.
        if s.turn_remaining ~= nil and #event(s, d, now, "connected") == #s.seats then
          local board = s.board
          if board ~= nil and board.outcome == nil then
            local least = s.settings.turn_seconds
            if not (least < RETURN_SECONDS) then least = RETURN_SECONDS end
            local wait = s.turn_remaining
            if least > wait then wait = least end
            s.turn_deadline = now + wait
          end
          s.turn_remaining = nil
        end
        if s.board ~= nil then
          if s.board.outcome ~= nil and s.news ~= nil and protocol >= REVISION_3 then
            d.broadcast_message(OP_RATING, s.news, { p }) -- the result they missed, with its rating
          end
          event(s, d, now, "broadcast")
        end
      elseif not s.ended and #s.seats < 2 then
        s.seats[#s.seats + 1] = { presence = p, json = json, protocol = protocol, connected = true,
          wants_rematch = false, timeouts = 0, aborts = 0, claim_told = false, reacted_at = {} }
        if #s.seats == 2 and s.board == nil then
          s.join_deadline = nil
          event(s, d, now, "start")
        end
      end
    end

  elseif kind == "leave" then
    for _, presence in ipairs(a) do
      local reason = (presence.reason == PRESENCE_LEAVE) and "left" or "disconnected"
      s.declared[presence.session_id] = nil
      local index = event(s, d, now, "seat", presence)
      local seat = s.seats[index]
      if index == 0 or s.ended or seat.presence.session_id ~= presence.session_id then
        -- not seated, over, or a stale session: nothing to do
      elseif reason == "left" or s.board == nil then
        -- Leaving after a game whose next one was offered openly declines it.
        if s.board ~= nil and s.board.outcome ~= nil and s.rematch_mode == "open" then reason = "declined" end
        event(s, d, now, "abandon", index, reason)
      else
        seat.connected = false
        seat.grace_deadline = now + s.settings.grace_seconds
        seat.claim_at = now + (s.settings.grace_seconds / 2.0)
        seat.claim_told = false
        event(s, d, now, "pause")
        if #event(s, d, now, "connected") > 0 then event(s, d, now, "broadcast") end
      end
    end

  elseif kind == "loop" then
    -- The messages since the last tick, in order.
    for _, message in ipairs(a) do
      local sender = message.sender
      local index = event(s, d, now, "seat", sender)
      if index == 0 or s.ended or s.seats[index].presence.session_id ~= sender.session_id then
        -- not seated, over, or a stale session: ignored
      elseif message.op_code == OP_MOVE then
        local board = s.board
        local reason, text
        if board == nil then
          reason, text = "not_started", "wait for your opponent to join"
        else
          -- The usual spelling is read here; anything else by the full reader.
          local data = message.data
          local row, col
          local cell = MOVES[data or ""]
          if cell ~= nil then
            row, col = floor((cell - 1) / 3) + 1, (cell - 1) % 3 + 1
          else
            row, col = require("xoxo_plus_json").read_move(data)
          end
          -- The checks of game.rules.Board.check, in its order.
          if row == nil then
            reason, text = "bad_payload", MOVE_SHAPE
          elseif not (row and col) then
            reason, text = "out_of_bounds", OUT_OF_BOUNDS
          elseif board.outcome ~= nil then
            reason, text = "game_over", "the game is over"
          elseif index ~= board.to_move then
            reason, text = "not_your_turn", format("it is player %d's turn, not player %d's", board.to_move, index)
          elseif board.cells[(row - 1) * 3 + col] ~= EMPTY then
            reason, text = "occupied", format("cell (%d, %d) is already taken", row, col)
          end
          if reason == nil then
            local cells, mover = board.cells, board.to_move
            cells[(row - 1) * 3 + col] = mover
            board.moves[#board.moves + 1] = { row, col, mover }
            board.to_move = 3 - mover
            s.seats[index].timeouts = 0
            s.seats[index].aborts = 0 -- a game with a move of theirs: the count of aborts starts again
            -- The outcome: the first line in LINES order, or a full board.
            for i = 1, 24, 3 do
              local x, y, z = LINES[i], LINES[i + 1], LINES[i + 2]
              local c = cells[x]
              if c ~= EMPTY and c == cells[y] and c == cells[z] then
                board.outcome = { termination = "line", winner = c, line = {
                  { floor((x - 1) / 3) + 1, (x - 1) % 3 + 1 }, { floor((y - 1) / 3) + 1, (y - 1) % 3 + 1 },
                  { floor((z - 1) / 3) + 1, (z - 1) % 3 + 1 } } }
                break
              end
            end
            if board.outcome == nil and #board.moves == 9 then board.outcome = { termination = "draw" } end
            if board.outcome ~= nil then
              event(s, d, now, "finish")
            else
              event(s, d, now, "restart")
              event(s, d, now, "broadcast")
            end
          end
        end
        if reason ~= nil then
          d.broadcast_message(OP_REJECTED, nk.json_encode({ reason = reason, message = text }), { sender })
        end
      elseif message.op_code == OP_REMATCH then
        local board = s.board
        local seat = s.seats[index]
        if board == nil or board.outcome == nil then
          d.broadcast_message(OP_REJECTED,
            nk.json_encode({ reason = "game_in_progress", message = "finish this game first" }), { sender })
        elseif not seat.wants_rematch then
          seat.wants_rematch = true
          local both = #s.seats == 2
          for _, st in ipairs(s.seats) do
            if not (st.wants_rematch and st.connected) then both = false end
          end
          if both then event(s, d, now, "start") else event(s, d, now, "broadcast") end
        end
      elseif message.op_code == OP_CLAIM then
        -- A claim against an absent opponent (_claim in game/match.py): the payload first.
        local claim = CLAIMS[message.data or ""]
        if claim == nil then claim = require("xoxo_plus_json").read_claim(message.data) end
        local board = s.board
        local away = s.seats[3 - index]
        local reason, text
        if claim == nil then
          reason, text = "bad_payload", CLAIM_SHAPE
        elseif board == nil or board.outcome ~= nil or #s.seats < 2 then
          reason, text = "nothing_to_claim", "there is no game in progress"
        elseif away.connected or away.claim_at == nil then
          reason, text = "nothing_to_claim", "your opponent is here"
        elseif away.claim_at - now > 0 then
          reason, text = "claim_too_early", format("you may claim in %d s", ceil(away.claim_at - now))
        elseif claim == "win" then
          board.outcome = { termination = "claimed", winner = index }
          event(s, d, now, "finish")
        else
          board.outcome = { termination = "draw_called" }
          event(s, d, now, "finish")
        end
        if reason ~= nil then
          d.broadcast_message(OP_REJECTED, nk.json_encode({ reason = reason, message = text }), { sender })
        end
      elseif message.op_code == OP_REACTION and s.seats[index].protocol >= REVISION_4 then
        -- A quick reaction (_react in game/match.py), relayed to the opponent within the limit.
        local id = REACTIONS[message.data or ""]
        if id == nil then id = require("xoxo_plus_json").read_reaction(message.data) end
        local seat = s.seats[index]
        local reason, text
        if id == nil then
          reason, text = "bad_payload", REACTION_SHAPE
        elseif s.board == nil or #s.seats < 2 then
          reason, text = "not_started", "wait for your opponent to join"
        else
          local kept = {}
          for _, t in ipairs(seat.reacted_at) do
            if now - t < REACTION_WINDOW then kept[#kept + 1] = t end
          end
          seat.reacted_at = kept
          if #kept >= REACTION_LIMIT then
            reason = "too_many_reactions"
            text = format("at most %d reactions in %d s: try again in %d s", REACTION_LIMIT, REACTION_WINDOW,
              ceil(kept[1] + REACTION_WINDOW - now))
          else
            kept[#kept + 1] = now
            local them = s.seats[3 - index]
            if them.connected and them.protocol >= REVISION_4 then
              d.broadcast_message(OP_REACTION, nk.json_encode({ reaction = id, user_id = seat.presence.user_id,
                username = seat.presence.username }), { them.presence })
            end
          end
        end
        if reason ~= nil then
          d.broadcast_message(OP_REJECTED, nk.json_encode({ reason = reason, message = text }), { sender })
        end
      else
        d.broadcast_message(OP_REJECTED, nk.json_encode({ reason = "unknown_op", message = UNKNOWN_OP }), { sender })
      end
    end

    -- Then the clocks.
    if s.ended then return end
    for i, seat in ipairs(s.seats) do
      if seat.grace_deadline ~= nil and now >= seat.grace_deadline then
        event(s, d, now, "abandon", i, "disconnected")
        return
      end
    end
    local board = s.board
    if board == nil then
      if s.join_deadline ~= nil and now >= s.join_deadline then
        -- Not both seated in time: tell whoever came who did not.
        local here, missing = {}, nil
        for _, seat in ipairs(s.seats) do here[seat.presence.user_id] = true end
        for _, p in ipairs(s.settings.expected or {}) do
          if not here[p.user_id] then
            missing = p
            break
          end
        end
        event(s, d, now, "close", "no_show", missing, event(s, d, now, "connected"))
      end
    elseif board.outcome == nil then
      -- The moment a claim against an absent player opens, the declared player waiting is told (once).
      for i, seat in ipairs(s.seats) do
        local other = s.seats[3 - i]
        if #s.seats == 2 and not seat.connected and not seat.claim_told and seat.claim_at ~= nil and other.connected
            and other.protocol >= REVISION_3 and now >= seat.claim_at then
          seat.claim_told = true
          event(s, d, now, "broadcast", { other.presence })
        end
      end
      if s.turn_deadline ~= nil and now >= s.turn_deadline then
        local loser = board.to_move
        local seat = s.seats[loser]
        local moved = false
        for _, m in ipairs(board.moves) do
          if m[3] == loser then moved = true end
        end
        if #s.seats == 2 and s.seats[1].protocol >= REVISION_3 and s.seats[2].protocol >= REVISION_3 and not moved then
          -- A first move never made, between two revision-3 clients: aborted, or the second time a leave.
          seat.aborts = seat.aborts + 1
          if seat.aborts < 2 then
            s.aborted_by = loser
            board.outcome = { termination = "aborted" }
            event(s, d, now, "finish")
          else
            local everyone = event(s, d, now, "connected")
            board.outcome = { termination = "opponent_left", winner = 3 - loser }
            event(s, d, now, "settle", everyone)
            event(s, d, now, "broadcast", nil, "aborted", seat.presence)
            event(s, d, now, "close", "aborted", seat.presence, everyone)
          end
        else
          seat.timeouts = seat.timeouts + 1
          board.outcome = { termination = "timeout", winner = 3 - loser }
          event(s, d, now, "finish")
          if seat.timeouts >= TIMEOUTS_TO_REMOVE then
            event(s, d, now, "close", "timed_out", seat.presence, event(s, d, now, "connected"))
          end
        end
      end
    elseif s.idle_deadline ~= nil then
      if now >= s.idle_deadline then -- nobody started the next game in time
        local everyone = event(s, d, now, "connected")
        event(s, d, now, "broadcast", nil, "idle", nil)
        event(s, d, now, "close", "idle", nil, everyone)
      end
    elseif s.rematch_deadline ~= nil then
      if now >= s.rematch_deadline then
        if s.rematch_mode == "auto" then
          event(s, d, now, "start")
        else
          for i, seat in ipairs(s.seats) do
            if seat.connected and #s.seats == 2 then
              local them = s.seats[3 - i].presence
              d.broadcast_message(OP_OPPONENT_GONE,
                nk.json_encode({ user_id = them.user_id, username = them.username, reason = "no_rematch" }),
                { seat.presence })
            end
          end
          event(s, d, now, "close")
        end
      else
        local countdown = ceil(s.rematch_deadline - now - 1e-9)
        if countdown < 0 then countdown = 0 end
        if countdown ~= s.countdown_shown then event(s, d, now, "broadcast") end
      end
    end

  elseif kind == "terminate" then
    if not s.ended then
      local to = event(s, d, now, "connected")
      if #to > 0 then d.broadcast_message(OP_STATE, format("Server shutting down in %.0f seconds", a), to) end
      event(s, d, now, "close")
    end

  -- The steps the hooks share (each a section here rather than a function of its own) ----------

  elseif kind == "broadcast" then
    -- The state each connected player (of `only` = a, if given) sees: encode_state in
    -- game/xoxo.py, written as JSON text from strings kept for the purpose (string.format
    -- is Go's fmt under gopher-lua, and slow). The parts every player gets are written once.
    -- `over` = b (op 5's reason, and `who` = c, a presence or nil) makes it the match's last state,
    -- which says so to declared revision-3 players (match_over).
    local only, over, who = a, b, c
    local board = s.board
    if board == nil then return end
    local out = board.outcome
    local seats = s.seats
    local c = board.cells
    local text = { '{"state":{"cells":[[', CELL[c[1]], ",", CELL[c[2]], ",", CELL[c[3]], "],[", CELL[c[4]], ",",
      CELL[c[5]], ",", CELL[c[6]], "],[", CELL[c[7]], ",", CELL[c[8]], ",", CELL[c[9]], ']],"players":[',
      seats[1] and seats[1].json or "", seats[2] and "," .. seats[2].json or "",
      '],"player_turn":', DIGIT[board.to_move], ',"game":', s.game_text,
      ',"winner":', (out ~= nil and out.winner ~= nil) and DIGIT[out.winner] or "false",
      ',"draw":', (out ~= nil and out.winner == nil and out.termination ~= "aborted") and "true" or "false" }
    if out ~= nil then
      text[#text + 1] = ',"reason":"' .. out.termination .. '"'
      local line = out.line
      if line ~= nil then
        text[#text + 1] = ',"line":[[' .. DIGIT[line[1][1]] .. "," .. DIGIT[line[1][2]] .. "],[" .. DIGIT[line[2][1]] ..
          "," .. DIGIT[line[2][2]] .. "],[" .. DIGIT[line[3][1]] .. "," .. DIGIT[line[3][2]] .. "]]"
      end
      if s.rematch_deadline ~= nil then
        local countdown = ceil(s.rematch_deadline - now - 1e-9)
        if countdown < 0 then countdown = 0 end
        s.countdown_shown = countdown
        text[#text + 1] = ',"rematch_countdown":' .. format("%d", countdown)
      end
      text[#text + 1] = ',"rematch_asked":[' .. ((seats[1] ~= nil and seats[1].wants_rematch) and "true" or "false") ..
        "," .. ((seats[2] ~= nil and seats[2].wants_rematch) and "true" or "false") ..
        '],"rematch_mode":"' .. s.rematch_mode .. '"'
      if s.aborted_by > 0 then text[#text + 1] = ',"aborted_by":' .. DIGIT[s.aborted_by] end
    else
      local left
      if s.turn_deadline ~= nil then left = s.turn_deadline - now
      elseif s.turn_remaining ~= nil then left = s.turn_remaining end
      if left ~= nil then
        if not (left > 0) then left = 0 end
        local shown = s.turn_text -- the full turn, the usual case right after a move
        if left ~= s.settings.turn_seconds then shown = tostring(tonumber(format("%.2f", left))) end
        text[#text + 1] = ',"turn_seconds_left":' .. shown .. ',"turn_seconds":' .. s.turn_seconds_text
      end
    end
    text[#text + 1] = ',"opponent_connected":'
    local common = concat(text)
    local active, waiting = seats[board.to_move], seats[3 - board.to_move]
    local tail = "}" .. (active and ',"active_player":' .. active.json or "") ..
      (waiting and ',"other_player":' .. waiting.json or "") .. ',"you":'
    -- What revision 3 adds for a declared player: the ratings, the match's end.
    local added = (s.rated and s.shown_text) and ',"ratings":' .. s.shown_text or ""
    if over ~= nil then
      who = who or NOBODY
      added = added .. ',"match_over":' ..
        nk.json_encode({ user_id = who.user_id, username = who.username, reason = over })
    end
    for i, seat in ipairs(seats) do
      local wanted = only == nil
      if not wanted then
        for _, p in ipairs(only) do
          if p.session_id == seat.presence.session_id then wanted = true end
        end
      end
      if seat.connected and wanted then
        local opponent = (#seats == 2) and seats[3 - i] or nil
        local extra = ""
        if seat.protocol >= REVISION_3 then
          extra = added
          if out == nil and opponent ~= nil and not opponent.connected and opponent.grace_deadline ~= nil
              and opponent.claim_at ~= nil then
            -- The absent opponent's hold, as the player waiting sees it (rounded as game/xoxo.py does).
            local left, claim = opponent.grace_deadline - now, opponent.claim_at - now
            if not (left > 0) then left = 0 end
            if not (claim > 0) then claim = 0 end
            extra = extra .. ',"opponent_away_seconds_left":' .. tostring(tonumber(format("%.2f", left))) ..
              ',"opponent_away_seconds":' .. s.grace_text .. ',"claim_seconds_left":' ..
              tostring(tonumber(format("%.2f", claim)))
          end
          if seat.protocol >= REVISION_4 and opponent ~= nil and opponent.protocol >= REVISION_4 then
            extra = extra .. ',"reactions":true' -- the opponent sees quick reactions too
          end
        end
        d.broadcast_message(OP_STATE, common .. ((opponent ~= nil and opponent.connected) and "true" or "false") ..
          extra .. tail .. DIGIT[i] .. ',"your_turn":' .. ((out == nil and board.to_move == i) and "true" or "false") ..
          "}", { seat.presence })
      end
    end

  elseif kind == "pause" or kind == "restart" then
    -- The turn clock: paused (the time left kept), or restarted with the full turn, paused
    -- at once if a player is away.
    if kind == "restart" then
      local turn = s.settings.turn_seconds
      if turn > 0 then s.turn_deadline = now + turn else s.turn_deadline = nil end
      local away = false
      for _, seat in ipairs(s.seats) do
        if not seat.connected then away = true end
      end
      if not away then return end
    end
    if s.turn_deadline ~= nil then
      local left = s.turn_deadline - now
      if not (left > 0) then left = 0 end
      s.turn_remaining = left
      s.turn_deadline = nil
    end

  elseif kind == "standings" then
    -- Both seated players' standings from their leaderboard records (new players: the
    -- defaults; game.standing.Standing.from_metadata), and whether they could be read.
    local ids = { s.seats[1].presence.user_id, s.seats[2].presence.user_id }
    local found = {}
    local ok, page, owners = pcall(nk.leaderboard_records_list, RATING_BOARD, ids, 0)
    if ok and type(owners) == "table" then
      for _, record in ipairs(owners) do found[record.owner_id] = record.metadata end
    elseif not ok then
      nk.logger_error(format("xoxo_plus: match %s cannot read the ratings (%s); new players' are used",
        tostring(s.match_id), tostring(page)))
    end
    local standings = {}
    for i = 1, 2 do
      local meta = found[ids[i]]
      if type(meta) ~= "table" then meta = {} end
      local st = { last_game = type(meta.last_game) == "string" and meta.last_game or "" }
      for _, key in ipairs(REALS) do -- what cannot be read is at its default
        local v = meta[key]
        if type(v) == "number" and v == v and v ~= HUGE and v ~= -HUGE then st[key] = v else st[key] = REALS[key] end
      end
      if not (st.deviation > 0.0 and st.volatility > 0.0) then
        st.rating, st.deviation, st.volatility = BASE, START_DEVIATION, START_VOLATILITY
      end
      for _, key in ipairs(COUNTS) do
        local v = meta[key]
        if type(v) == "number" and v >= 0 and v == floor(v) and v ~= HUGE then st[key] = v else st[key] = 0 end
      end
      standings[i] = st
    end
    return standings, ok

  elseif kind == "start" then
    -- The next game (or the first): its first player alternates.
    local first = 1
    if s.board ~= nil then first = 3 - s.board.first end
    s.board = { cells = { EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY }, first = first,
      to_move = first, moves = {} }
    s.game = s.game + 1
    s.game_text = format("%d", s.game)
    s.game_started_at = nk.time() / 1000
    s.rematch_deadline, s.idle_deadline = nil, nil
    s.countdown_shown = nil
    s.news = nil
    s.aborted_by = 0
    for _, seat in ipairs(s.seats) do seat.wants_rematch = false end
    if s.rated and #s.seats == 2 then
      -- The ratings shown beside the names: from the first game's read, then the ones this
      -- match wrote (read again if a read or a write failed).
      local standings = s.standings
      if standings == nil then
        local ok
        standings, ok = event(s, d, now, "standings")
        if ok then s.standings = standings end
      end
      local parts = {} -- the ratings beside the names in the state, as JSON text
      for i = 1, 2 do
        local st = standings[i]
        parts[i] = '{"shown":' .. format("%d", floor(st.rating + 0.5)) .. ',"provisional":' ..
          (st.deviation > PROVISIONAL and "true" or "false") .. "}"
      end
      s.shown_text = "[" .. parts[1] .. "," .. parts[2] .. "]"
      if s.game == 1 then -- aborts in a row carry over from the players' earlier rated games
        for i, seat in ipairs(s.seats) do seat.aborts = standings[i].aborts_in_a_row end
      end
    end
    s.turn_remaining = nil
    event(s, d, now, "restart")
    event(s, d, now, "broadcast")

  elseif kind == "settle" or kind == "finish" then
    -- The game on s.board is over: its storage object, in a rated match both players' new
    -- leaderboard records, and its log line, before anyone is told; then op 7 (the rating
    -- change) to the declared players among `a` (_settle in game/match.py). "finish" settles
    -- for the connected players, then starts the countdown (or opens the offer of the next
    -- game) and tells the players (_finish).
    local to = a or event(s, d, now, "connected")
    local board = s.board
    s.turn_deadline = nil
    s.turn_remaining = nil
    local p1, p2 = s.seats[1].presence, s.seats[2].presence
    local out = board.outcome
    local key = s.match_id .. "/" .. s.game_text -- the game's storage key, and its name in the standings
    local before, after, rated = nil, nil, false
    if s.rated and #s.seats == 2 then
      -- Both standings after this game (_rate): Glicko-2 for a result, only the count of
      -- aborts for an abort.
      -- Read for every game, as our host reads its ledger: the same user may be in another
      -- rated match whose result came since. If the read fails, what this match wrote last
      -- is the best there is.
      local read, ok = event(s, d, now, "standings")
      if ok or s.standings == nil then before = read else before = s.standings end
      after = {}
      rated = out.termination ~= "aborted"
      for i = 1, 2 do
        local b, o = before[i], before[3 - i]
        local x = { rating = b.rating, deviation = b.deviation, volatility = b.volatility, wins = b.wins,
          losses = b.losses, draws = b.draws, aborts_in_a_row = s.seats[i].aborts, last_game = key }
        if rated then
          local score = 0.5
          if out.winner == i then score = 1.0 elseif out.winner ~= nil then score = 0.0 end
          x.rating, x.deviation, x.volatility = glicko("rate", b.rating, b.deviation, b.volatility, o.rating,
            o.deviation, score)
          if score == 1.0 then
            x.wins = x.wins + 1
          elseif score == 0.0 then
            x.losses = x.losses + 1
          else
            x.draws = x.draws + 1
          end
        end
        after[i] = x
      end
    end
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
      ended_at = nk.time() / 1000,
    }
    if #board.moves > 0 then value.moves = board.moves end -- an empty Lua table would be written as {}
    if out.winner ~= nil then value.winner = out.winner end
    if out.line ~= nil then value.line = out.line end
    if rated then -- the shown ratings before and after, by player (the RPC xoxo_seat reads them)
      value.ratings = {}
      for i = 1, 2 do
        value.ratings[i] = { shown_before = floor(before[i].rating + 0.5), shown_after = floor(after[i].rating + 0.5) }
      end
    end
    local names = { p1.username, p2.username }
    local summary
    if out.termination == "aborted" then
      summary = format("aborted (%s vs %s: a first move never came)", p1.username, p2.username)
    elseif out.winner == nil then
      summary = format("%s and %s drew", p1.username, p2.username)
    elseif out.termination == "line" then
      summary = format("%s beat %s with a line", names[out.winner], names[3 - out.winner])
    else
      summary = format("%s beat %s (%s %s)", names[out.winner], names[3 - out.winner], names[3 - out.winner],
        TERMINATION_TEXT[out.termination])
    end
    local collection = s.settings.games_collection
    if collection ~= "" then
      local ok, err = pcall(nk.storage_write, { {
        collection = collection,
        key = key,
        value = value,
        permission_read = 0,
        permission_write = 0,
      } })
      if not ok then
        nk.logger_error(format("GAME NOT SAVED: match %s game %d: %s: %s", s.match_id, s.game, summary, tostring(err)))
      end
    end
    if after ~= nil then
      -- The standings after the game as the players' leaderboard records (score: the shown
      -- rating, never below 0; subscore: rated games). They are shown in the next game,
      -- unless a write failed: then the next game reads the leaderboard again.
      s.standings = after
      for i = 1, 2 do
        local x, p = after[i], s.seats[i].presence
        local score = floor(x.rating + 0.5)
        if score < 0 then score = 0 end
        local ok, err = pcall(nk.leaderboard_record_write, RATING_BOARD, p.user_id, p.username, score,
          x.wins + x.losses + x.draws, x)
        if not ok then
          s.standings = nil
          nk.logger_error(format("RATING NOT SAVED: match %s game %d, %s: %s", tostring(s.match_id), s.game,
            p.username, tostring(err)))
        end
      end
    end
    nk.logger_info(format("match %s game %d over: %s", s.match_id, s.game, summary))
    s.news = nil
    if rated then
      -- Op 7, the same bytes to both players (encode_rating_news in game/xoxo.py).
      local players = {}
      for i = 1, 2 do
        local b, x, p = before[i], after[i], s.seats[i].presence
        players[i] = {
          user_id = p.user_id, username = p.username,
          before = { rating = b.rating, deviation = b.deviation, volatility = b.volatility },
          after = { rating = x.rating, deviation = x.deviation, volatility = x.volatility },
          shown_before = floor(b.rating + 0.5), shown_after = floor(x.rating + 0.5),
          delta = floor(x.rating + 0.5) - floor(b.rating + 0.5),
          provisional = x.deviation > PROVISIONAL, wins = x.wins, losses = x.losses, draws = x.draws,
        }
      end
      s.news = nk.json_encode({ game = s.game, players = players })
      local declared = {}
      for _, seat in ipairs(s.seats) do
        for _, p in ipairs(to) do
          if seat.protocol >= REVISION_3 and p.session_id == seat.presence.session_id then
            declared[#declared + 1] = seat.presence
          end
        end
      end
      if #declared > 0 then d.broadcast_message(OP_RATING, s.news, declared) end
    end
    if kind == "finish" then
      s.rematch_deadline, s.idle_deadline = nil, nil
      local seconds = s.settings.rematch_seconds
      local declared = 99 -- the lowest revision the players declared
      for _, seat in ipairs(s.seats) do
        if seat.protocol < declared then declared = seat.protocol end
      end
      if #s.seats == 2 and declared >= REVISION_3 then
        s.rematch_mode = "open"
        local idle = s.settings.idle_seconds
        if idle ~= false then s.idle_deadline = now + idle end
      else
        local consent = seconds == false or declared >= 2
        s.rematch_mode = consent and "consent" or "auto"
        if seconds ~= false then s.rematch_deadline = now + seconds end
      end
      event(s, d, now, "broadcast")
    end

  elseif kind == "abandon" then
    -- The player in seat `a` is gone for good (reason `b`): a game on is theirs lost.
    local board, index, reason = s.board, a, b
    local gone = s.seats[index].presence
    local remaining = {}
    for i, seat in ipairs(s.seats) do
      if i ~= index and seat.connected then remaining[#remaining + 1] = seat.presence end
    end
    if board ~= nil and board.outcome == nil and #s.seats == 2 then
      board.outcome = { termination = "opponent_left", winner = 3 - index }
      event(s, d, now, "settle", remaining)
    end
    if board ~= nil and #remaining > 0 then event(s, d, now, "broadcast", remaining, reason, gone) end
    event(s, d, now, "close", reason, gone, remaining)

  elseif kind == "close" then
    -- The match is over: op 5 reason `a` about `b` (a presence, or nil for nobody) to the
    -- presences `c`, then nothing more happens in it.
    local reason, gone, to = a, b, c
    if reason ~= nil and #to > 0 then
      gone = gone or NOBODY
      d.broadcast_message(OP_OPPONENT_GONE,
        nk.json_encode({ user_id = gone.user_id, username = gone.username, reason = reason }), to)
    end
    s.ended = true
    s.turn_deadline, s.rematch_deadline, s.join_deadline, s.idle_deadline = nil, nil, nil, nil
    for _, seat in ipairs(s.seats) do seat.grace_deadline, seat.claim_at = nil, nil end
    nk.logger_info(format("match %s ended", s.match_id))
  end
end

-- Nakama's match handler ------------------------------------------------------------------

-- The hooks: one closure each of the same function (`kind` says which hook). It runs
-- `event` on the state and returns what Nakama expects of that hook; a failure ends the
-- match for everyone, as our host does, instead of raising into Nakama. match_init
-- (context, params) gets its params as `dispatcher`.
for _, kind in ipairs({ "init", "attempt", "join", "leave", "loop", "terminate", "signal" }) do
  M[kind == "attempt" and "match_join_attempt" or "match_" .. kind] = function(context, dispatcher, tick, state, a, b)
    if kind == "init" then
      local params = dispatcher
      -- The settings from the runtime environment (context.env), defaults for anything
      -- missing; a value that does not make sense is logged and ignored.
      local env = context.env or {}
      local settings = {}
      for _, spec in ipairs(NUMBER_SETTINGS) do
        local key, low, high, whole, above = spec[1], spec[2], spec[3], spec[4], spec[5]
        local raw = env["xoxo_plus_" .. key]
        local v = M.DEFAULTS[key]
        if (key == "rematch_seconds" or key == "idle_seconds") and type(raw) == "string"
            and raw:match("^%s*[Nn][Oo][Nn][Ee]%s*$") then
          v = false -- no countdown: the next game starts only when both ask; no idle limit
        elseif raw ~= nil then
          -- A decimal number ("30", "2.5"); nothing else.
          local n
          local trimmed = type(raw) == "string" and raw:match("^%s*(.-)%s*$") or ""
          if trimmed:match("^[0-9]+$") or trimmed:match("^[0-9]+%.[0-9]+$") then n = tonumber(trimmed) end
          if n ~= nil and n >= low and not (above and n == low) and (high == nil or n <= high)
              and (not whole or n == floor(n)) then
            v = n
          else
            nk.logger_warn(format("xoxo_plus: ignoring runtime.env xoxo_plus_%s=%s, using %s", key, tostring(raw),
              tostring(v)))
          end
        end
        settings[key] = v
      end
      local collection = env.xoxo_plus_games_collection
      if collection == nil then collection = M.DEFAULTS.games_collection end
      settings.games_collection = collection
      local expected
      if type(params) == "table" and type(params.expected) == "table" then
        expected = {}
        for _, p in ipairs(params.expected) do
          if type(p) == "table" and type(p.user_id) == "string" then
            expected[#expected + 1] = { user_id = p.user_id, session_id = p.session_id, username = p.username,
              node = p.node or "" }
          end
        end
      end
      settings.expected = expected
      local rated = type(params) == "table" and params.rated == true
      state = {
        match_id = context.match_id,
        tick_rate = settings.tick_rate,
        settings = settings,
        seats = {},
        declared = {},
        game = 0,
        game_started_at = 0,
        rematch_mode = "auto",
        ended = false,
        label_open = 1,
        label_game = 0,
        rated = rated,
        aborted_by = 0,
      }
      -- The turn's length as the state shows it (rounded to 0.01 s, as game/xoxo.py does).
      state.turn_seconds_text = tostring(settings.turn_seconds)
      state.turn_text = tostring(tonumber(format("%.2f", settings.turn_seconds)))
      state.grace_text = tostring(settings.grace_seconds)
      if expected ~= nil and #expected > 0 then state.join_deadline = settings.join_timeout_seconds end
      state.label = format(LABEL, PROTOCOL, 1, 0, rated and 1 or 0)
      return state, settings.tick_rate, state.label
    end
    if kind == "signal" then
      -- {"seat":"USER_ID"} asks where that user stands (the RPC xoxo_seat asks it); anything
      -- else is answered with the current label, for operators' tools.
      local user_id = type(a) == "string" and a:match('^{"seat":"([^"]*)"}$') or nil
      if user_id == nil then return state, state.label end
      local answer = { status = "none" }
      for i, seat in ipairs(state.seats) do
        if seat.presence.user_id == user_id and not state.ended then
          if seat.connected then
            answer = { status = "seated", game = state.game }
          elseif seat.grace_deadline ~= nil then
            local left = seat.grace_deadline - tick / state.tick_rate
            if not (left > 0) then left = 0 end
            local them = state.seats[3 - i] and state.seats[3 - i].presence or NOBODY
            answer = { status = "held", seconds_left = tonumber(format("%.2f", left)), game = state.game,
              opponent = { user_id = them.user_id, username = them.username } }
          end
        end
      end
      return state, nk.json_encode(answer)
    end
    local now = tick / state.tick_rate
    if kind == "loop" and a[1] == nil and state.wake ~= nil and now < state.wake then
      return state -- nothing came and no clock is due: this tick would change nothing
    end
    local ok, result = pcall(event, state, dispatcher, now, kind, a, b)
    if kind == "attempt" then
      if not ok then
        nk.logger_error(format("xoxo_plus: match %s failed in match_join_attempt: %s", tostring(state.match_id),
          tostring(result)))
        return state, false, "this match cannot take players right now"
      end
      if result ~= nil then return state, false, result end
      return state, true
    end
    if not ok then
      nk.logger_error(format("xoxo_plus: match %s failed in match_%s, ending it: %s", tostring(state.match_id), kind,
        tostring(result)))
      local listed, to = pcall(event, state, dispatcher, 0, "connected")
      if listed and #to > 0 then pcall(dispatcher.broadcast_message, OP_STATE, FAILED_NOTICE, to) end
      state.ended = true
      return nil
    end
    if state.ended then return nil end
    -- The earliest moment a clock may be due (a deadline, the next whole second of the
    -- countdown shown), a little before it: until then a tick with no message returns at
    -- once. A lower bound only: the clocks' checks above decide, as on every other tick.
    local wake = HUGE
    for _, seat in ipairs(state.seats) do
      local t = seat.grace_deadline
      if t ~= nil and t < wake then wake = t end
      t = seat.claim_at
      if t ~= nil and not seat.claim_told and t < wake then wake = t end
    end
    local t = state.join_deadline
    if t ~= nil and t < wake then wake = t end
    t = state.turn_deadline
    if t ~= nil and t < wake then wake = t end
    t = state.idle_deadline
    if t ~= nil and t < wake then wake = t end
    t = state.rematch_deadline
    if t ~= nil then
      local shown = state.countdown_shown
      if shown == nil then wake = -HUGE elseif shown >= 1 then t = t - (shown - 1) end
      if t < wake then wake = t end
    end
    state.wake = wake - WAKE_MARGIN
    local open = #state.seats < 2 and 1 or 0
    if open ~= state.label_open or state.game ~= state.label_game then
      local label = format(LABEL, PROTOCOL, open, state.game, state.rated and 1 or 0)
      state.label_open, state.label_game = open, state.game
      if label ~= state.label then
        dispatcher.match_label_update(label)
        state.label = label
      end
    end
    return state
  end
end

return M
