--[[
xoxo_plus_rating: the players' standings on the leaderboard xoxo_rating, and Glicko-2.

Part of the tic-tac-toe Nakama module (see docs/NAKAMA.md). A rated match (one the
matchmaker made without a friend code) loads it when its first game starts, to read the
players' standings, and uses it again when a game ends: both new standings are computed
here and written as leaderboard records, as game/match.py and game/standing.py do on our
host. The differential test keeps the two equal to the last bit.

The arithmetic is game/rating.py's, step by step in the same order (each parenthesis is
an evaluation order), with exp and log computed from + - * / only and sqrt otherwise:
those are fixed by IEEE-754, so gopher-lua gives the same bits as Python. It must not use
math.exp, math.log or ^ (Go's and C's differ in the last bits).

A standing is a table {rating, deviation, volatility, wins, losses, draws,
aborts_in_a_row, last_game}; the record's metadata is that table (Nakama writes whole
numbers as integers, keys sorted, as our host does).
]]

local nk = require("nakama")

local M = {}

M.BOARD = "xoxo_rating"

local SCALE, BASE, EPS, MAXI, TAU = 173.7178, 1500.0, 0.000001, 100, 0.5
local START_DEVIATION, START_VOLATILITY, PROVISIONAL = 350.0, 0.06, 110.0
local PI = 3.141592653589793
local PI2 = PI * PI
local LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
local INV_LN2 = 1.44269504088896338700e00
local SQRT2, SQRT1_2 = 1.4142135623730951, 0.7071067811865476
local HUGE = 1 / 0 -- math.huge is the largest finite number under gopher-lua

local floor, sqrt, abs, format = math.floor, math.sqrt, math.abs, string.format

local function exp_(x)
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

local function log_(x) -- x > 0
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

-- Step 5: the new volatility (the Illinois algorithm on f, as the paper does it).
local function volatility(delta, phi_sq, v, sigma)
  local a = log_(sigma * sigma)
  local tau_sq, d2 = TAU * TAU, delta * delta
  local function f(x)
    local ex = exp_(x)
    local spread = (phi_sq + v) + ex
    return ((ex * (((d2 - phi_sq) - v) - ex)) / (2.0 * (spread * spread))) - ((x - a) / tau_sq)
  end
  local A, B = a, nil
  if d2 > (phi_sq + v) then
    B = log_((d2 - phi_sq) - v)
  else
    local k = 1
    while f(a - (k * TAU)) < 0.0 and k < MAXI do k = k + 1 end
    B = a - (k * TAU)
  end
  local fa, fb, it = f(A), f(B), 0
  while abs(B - A) > EPS and it < MAXI do
    it = it + 1
    local C = A + (((A - B) * fa) / (fb - fa))
    local fc = f(C)
    if (fc * fb) <= 0.0 then
      A = B
      fa = fb
    else
      fa = fa / 2.0
    end
    B = C
    fb = fc
  end
  return exp_(A / 2.0)
end

--- One game for one player: the new rating, deviation and volatility; score 1, 0.5 or 0
--- (game.rating.rate with one game).
function M.rate(r, rd, sigma, opp_r, opp_rd, score)
  local mu, phi = (r - BASE) / SCALE, rd / SCALE
  local phi_sq = phi * phi
  local gg = 1.0 / sqrt(1.0 + ((3.0 * ((opp_rd / SCALE) * (opp_rd / SCALE))) / PI2))
  local e = 1.0 / (1.0 + exp_(-(gg * (mu - ((opp_r - BASE) / SCALE)))))
  local information = 0.0 + (((gg * gg) * e) * (1.0 - e))
  local surprise = 0.0 + (gg * (score - e))
  local v = 1.0 / information
  local sigma_new = volatility(v * surprise, phi_sq, v, sigma)
  local phi_new = 1.0 / sqrt((1.0 / (phi_sq + (sigma_new * sigma_new))) + (1.0 / v))
  return r + (SCALE * ((phi_new * phi_new) * surprise)), SCALE * phi_new, sigma_new
end

-- A standing from a record's metadata, what cannot be read at its default
-- (game.standing.Standing.from_metadata).
local function standing(meta)
  meta = type(meta) == "table" and meta or {}
  local function real(v, default)
    if type(v) == "number" and v == v and v ~= HUGE and v ~= -HUGE then return v end
    return default
  end
  local function count(v)
    if type(v) == "number" and v >= 0 and v == floor(v) and v ~= HUGE then return v end
    return 0
  end
  local r, rd = real(meta.rating, BASE), real(meta.deviation, START_DEVIATION)
  local sigma = real(meta.volatility, START_VOLATILITY)
  if not (rd > 0.0 and sigma > 0.0) then r, rd, sigma = BASE, START_DEVIATION, START_VOLATILITY end
  return { rating = r, deviation = rd, volatility = sigma, wins = count(meta.wins), losses = count(meta.losses),
    draws = count(meta.draws), aborts_in_a_row = count(meta.aborts_in_a_row),
    last_game = type(meta.last_game) == "string" and meta.last_game or "" }
end

--- Both seated players' standings, from their leaderboard records (new players: the defaults).
function M.standings(s)
  local ids = { s.seats[1].presence.user_id, s.seats[2].presence.user_id }
  local found = {}
  local ok, page, owners = pcall(nk.leaderboard_records_list, M.BOARD, ids, 0)
  if ok and type(owners) == "table" then
    for _, record in ipairs(owners) do found[record.owner_id] = record.metadata end
  elseif not ok then
    nk.logger_error(format("xoxo_plus: match %s cannot read the ratings (%s); new players' are used",
      tostring(s.match_id), tostring(page)))
  end
  return { standing(found[ids[1]]), standing(found[ids[2]]) }
end

local function shown(x) return floor(x + 0.5) end

--- The game on s.board is over in a rated match: both standings before and after, and
--- whether it was rated (an abort changes only the count of aborts).
function M.change(s)
  local board, seats = s.board, s.seats
  local before = M.standings(s)
  local last = s.match_id .. "/" .. format("%.0f", s.game)
  local out = board.outcome
  local after = {}
  local rated = out.termination ~= "aborted"
  for i = 1, 2 do
    local b, o = before[i], before[3 - i]
    local a = { rating = b.rating, deviation = b.deviation, volatility = b.volatility, wins = b.wins,
      losses = b.losses, draws = b.draws, aborts_in_a_row = seats[i].aborts, last_game = last }
    if rated then
      local score = 0.5
      if out.winner == i then score = 1.0 elseif out.winner ~= nil then score = 0.0 end
      a.rating, a.deviation, a.volatility = M.rate(b.rating, b.deviation, b.volatility, o.rating, o.deviation, score)
      if score == 1.0 then
        a.wins = a.wins + 1
      elseif score == 0.0 then
        a.losses = a.losses + 1
      else
        a.draws = a.draws + 1
      end
    end
    after[i] = a
  end
  return { before = before, after = after, rated = rated }
end

--- The standings after the game as the players' leaderboard records (score: the shown
--- rating, never below 0; subscore: rated games).
function M.write(s, change)
  for i = 1, 2 do
    local a, p = change.after[i], s.seats[i].presence
    local score = shown(a.rating)
    if score < 0 then score = 0 end
    local ok, err = pcall(nk.leaderboard_record_write, M.BOARD, p.user_id, p.username, score,
      a.wins + a.losses + a.draws, a)
    if not ok then
      nk.logger_error(format("RATING NOT SAVED: match %s game %d, %s: %s", tostring(s.match_id), s.game, p.username,
        tostring(err)))
    end
  end
end

--- The shown ratings before and after, by player, for the stored game (the RPC xoxo_seat reads them).
function M.shown(change)
  return { { shown_before = shown(change.before[1].rating), shown_after = shown(change.after[1].rating) },
    { shown_before = shown(change.before[2].rating), shown_after = shown(change.after[2].rating) } }
end

--- Op 7, the same bytes to both players (encode_rating_news in game/xoxo.py).
function M.news(s, change)
  local players = {}
  for i = 1, 2 do
    local b, a, p = change.before[i], change.after[i], s.seats[i].presence
    players[i] = {
      user_id = p.user_id, username = p.username,
      before = { rating = b.rating, deviation = b.deviation, volatility = b.volatility },
      after = { rating = a.rating, deviation = a.deviation, volatility = a.volatility },
      shown_before = shown(b.rating), shown_after = shown(a.rating), delta = shown(a.rating) - shown(b.rating),
      provisional = a.deviation > PROVISIONAL, wins = a.wins, losses = a.losses, draws = a.draws,
    }
  end
  return nk.json_encode({ game = s.game, players = players })
end

--- The ratings beside the names in the state, as JSON text (from the standings at the game's start).
function M.shown_json(standings)
  local parts = {}
  for i = 1, 2 do
    local st = standings[i]
    parts[i] = '{"shown":' .. format("%d", shown(st.rating)) .. ',"provisional":' ..
      (st.deviation > PROVISIONAL and "true" or "false") .. "}"
  end
  return "[" .. parts[1] .. "," .. parts[2] .. "]"
end

return M
