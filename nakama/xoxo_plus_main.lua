--[[
xoxo_plus_main: when Nakama's matchmaker pairs players, make them an authoritative
tic-tac-toe match run by xoxo_plus_match (see docs/NAKAMA.md); keep the leaderboard
xoxo_rating; answer the RPC xoxo_seat.

Nakama keeps one matchmaker-matched hook: this module replaces the stock XOXO
module's main.lua, so do not load both. The matched users become the match's expected
players: only they may take a seat, and if they are not both seated within the join
timeout the match ends. A match of players who queued without a friend code (the
matchmaker property "code") is rated (docs/PROTOCOL.md, "Ratings and the leaderboard").

xoxo_seat (docs/PROTOCOL.md, "Coming back to a game"): where the calling player stands in
a match they were in, {"match_id", "game"} -> {"status": "held" | "seated" | "over" |
"unknown", ...}. The live match answers through match_signal; a match that is over
answers from the game's storage object.

xoxo_stats (docs/PROTOCOL.md, "Who is around"): {"online": N, "games": M}, the sessions
that queued for a match or joined one since they connected (each joins, in realtime
before-hooks on MatchmakerAdd and MatchJoin, a hidden stream of this module's, which Nakama
leaves for them when the session closes), and the matches with two players in them
(match_list). Worked out at most once a second per Lua VM.
]]

local nk = require("nakama")

local MATCH_MODULE = "xoxo_plus_match"
local RATING_BOARD = "xoxo_rating"
local SYSTEM_USER = "00000000-0000-0000-0000-000000000000"
local PAYLOAD_SHAPE = 'xoxo_seat wants a payload like {"match_id": "...", "game": 3}'
local UNKNOWN = '{"status":"unknown"}'

local function matched(context, matched_users)
  local expected, names, rated = {}, {}, true
  for i, user in ipairs(matched_users) do
    local p = user.presence
    expected[i] = { user_id = p.user_id, session_id = p.session_id, username = p.username, node = p.node }
    names[i] = p.username
    local code = type(user.properties) == "table" and user.properties.code or nil
    if code ~= nil and code ~= "" then rated = false end -- friends who met by a code: not rated
  end
  if #expected ~= 2 then
    -- A ticket asked for more than two players: the first two to join get the seats.
    nk.logger_warn(string.format("xoxo_plus: the matchmaker matched %d players; a game seats 2", #expected))
  end
  local match_id = nk.match_create(MATCH_MODULE, { expected = expected, rated = rated })
  nk.logger_info(string.format("match %s created: %s", match_id, table.concat(names, " vs ")))
  return match_id
end

nk.register_matchmaker_matched(matched)

-- The calling player's seat in a match: the live match says held or seated, else the
-- stored game says how it ended (seat_answer in net/host/seat_rpc.py).
local function seat(context, payload)
  local ok, ask = pcall(nk.json_decode, payload or "")
  if not ok or type(ask) ~= "table" or type(ask.match_id) ~= "string" then error({ PAYLOAD_SHAPE, 3 }) end
  local game = ask.game
  if game == nil then game = 0 end
  if type(game) ~= "number" or game ~= math.floor(game) then error({ PAYLOAD_SHAPE, 3 }) end
  local user_id = context.user_id
  if type(user_id) ~= "string" or user_id == "" then return UNKNOWN end -- an HTTP-key call: nobody's seat
  local live, said = pcall(nk.match_signal, ask.match_id, nk.json_encode({ seat = user_id }))
  if live and type(said) == "string" then
    local status = said:match('"status":"(%a+)"')
    if status == "held" or status == "seated" then return said end
  end
  local env = context.env or {}
  local collection = env.xoxo_plus_games_collection or "xoxo_plus_games"
  if collection == "" then return UNKNOWN end
  local read, objects = pcall(nk.storage_read, { { collection = collection,
    key = ask.match_id .. "/" .. string.format("%.0f", game), user_id = SYSTEM_USER } })
  if not read or type(objects) ~= "table" or objects[1] == nil then return UNKNOWN end
  local v = objects[1].value
  local mine = (v.player1_id == user_id and 1) or (v.player2_id == user_id and 2) or 0
  if mine == 0 then return UNKNOWN end
  local result = "loss"
  if v.termination == "aborted" then
    result = "aborted"
  elseif v.winner == nil then
    result = "draw"
  elseif v.winner == mine then
    result = "win"
  end
  local them = 3 - mine
  local answer = { status = "over", game = v.game, result = result, reason = v.termination,
    opponent = { user_id = v["player" .. them .. "_id"], username = v["player" .. them .. "_name"] } }
  local shown = type(v.ratings) == "table" and v.ratings[mine] or nil
  if shown ~= nil then
    answer.rating = { shown_before = shown.shown_before, shown_after = shown.shown_after,
      delta = shown.shown_after - shown.shown_before }
  end
  return nk.json_encode(answer)
end

nk.register_rpc(seat, "xoxo_seat")

-- Who is around -----------------------------------------------------------------------------

local ONLINE_STREAM = { mode = 180, label = "xoxo_plus_online" } -- a stream mode of our own (Nakama's own are 0 to 7)
local STATS_SHAPE = "xoxo_stats takes no payload, or a JSON object"
local MAX_LISTED = 10000 -- matches listed to count the games (a figure above it reads as this many)
local STATS_MS = 1000
local stats_cache, stats_until = nil, 0

-- A realtime before-hook: the session is counted online (joining again changes nothing); the message goes on as sent.
local function count_online(context, envelope)
  local user_id, session_id = context.user_id, context.session_id
  if type(user_id) == "string" and user_id ~= "" and type(session_id) == "string" and session_id ~= "" then
    local ok, err = pcall(nk.stream_user_join, user_id, session_id, ONLINE_STREAM, true, false)
    if not ok then nk.logger_warn("xoxo_plus: cannot count a session online: " .. tostring(err)) end
  end
  return envelope
end

nk.register_rt_before(count_online, "MatchmakerAdd")
nk.register_rt_before(count_online, "MatchJoin")

local function stats(context, payload)
  if payload ~= nil and payload ~= "" then
    local ok, ask = pcall(nk.json_decode, payload)
    if not ok or type(ask) ~= "table" or ask[1] ~= nil then error({ STATS_SHAPE, 3 }) end
  end
  local now = nk.time()
  if stats_cache == nil or now >= stats_until then
    local games = nk.match_list(MAX_LISTED, true, nil, 2, 2)
    stats_cache = nk.json_encode({ online = nk.stream_count(ONLINE_STREAM), games = #games })
    stats_until = now + STATS_MS
  end
  return stats_cache
end

nk.register_rpc(stats, "xoxo_stats")

-- The leaderboard of ratings: descending, each write sets the record, only the server
-- writes, ranked. Made once: an existing board keeps its configuration.
local made, err = pcall(nk.leaderboard_create, RATING_BOARD, true, "desc", "set", "", { game = "xoxo" }, true)
if not made then
  nk.logger_error("xoxo_plus: cannot create the leaderboard " .. RATING_BOARD .. ": " .. tostring(err))
end
