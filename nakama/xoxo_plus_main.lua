--[[
xoxo_plus_main: when Nakama's matchmaker pairs players, make them an authoritative
tic-tac-toe match run by xoxo_plus_match (see docs/NAKAMA.md).

Nakama keeps one matchmaker-matched hook: this module replaces the stock XOXO
module's main.lua, so do not load both. The matched users become the match's expected
players: only they may take a seat, and if they are not both seated within the join
timeout the match ends.
]]

local nk = require("nakama")

local MATCH_MODULE = "xoxo_plus_match"

local function matched(context, matched_users)
  local expected, names = {}, {}
  for i, user in ipairs(matched_users) do
    local p = user.presence
    expected[i] = { user_id = p.user_id, session_id = p.session_id, username = p.username, node = p.node }
    names[i] = p.username
  end
  if #expected ~= 2 then
    -- A ticket asked for more than two players: the first two to join get the seats.
    nk.logger_warn(string.format("xoxo_plus: the matchmaker matched %d players; a game seats 2", #expected))
  end
  local match_id = nk.match_create(MATCH_MODULE, { expected = expected })
  nk.logger_info(string.format("match %s created: %s", match_id, table.concat(names, " vs ")))
  return match_id
end

nk.register_matchmaker_matched(matched)
