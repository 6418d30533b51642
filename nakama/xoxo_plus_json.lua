--[[
xoxo_plus_json: reads a client's move payload exactly as the Python handler reads it.

Part of the tic-tac-toe Nakama module (see docs/NAKAMA.md). game/xoxo.py's decode_move
takes a payload of at most MAX_BYTES (128) bytes and reads it with
json.loads(data.decode("utf-8"), parse_constant=<refuse>). decode accepts exactly the
payloads that accepts, and reads the same value out of them:

  * strict UTF-8: no overlong form, no encoded surrogate, nothing above U+10FFFF; a
    leading BOM is refused (json.loads refuses a text starting with U+FEFF), and so is
    UTF-16 or UTF-32 (their zero bytes and BOMs are not JSON);
  * JSON's four whitespace characters (space, tab, LF, CR) and nothing else;
  * null, true, false; no NaN, Infinity or -Infinity;
  * numbers in JSON's grammar: -0, 1E2, 0.5e1 are numbers; 01, 1., .5, +1, 0x1 are not.
    A number without fraction or exponent is a whole number; any other is a double,
    rounded to nearest (1e400 is infinity);
  * strings: raw control characters (below 0x20) refused; the escapes \" \\ \/ \b \f
    \n \r \t and \uXXXX (either case); a \uXXXX high surrogate followed by a \uXXXX low
    surrogate is one code point, any other surrogate escape stays a lone surrogate;
  * the last of two equal keys wins (in the first one's place).

It reads without recursion (an explicit stack of open arrays and objects): nesting
costs no Lua call frames, of which Nakama gives a VM 128 by default
(runtime.lua_call_stack_size). Within 128 bytes Python's own limits (its recursion
limit, 4300-digit integers) are never reached.

decode(bytes) returns a value or raises an error (call it inside pcall):
  NULL, true, false, a string (generalized UTF-8: a lone surrogate is its own 3-byte
  sequence), {kind = "int", text = DIGITS}, {kind = "float", value = NUMBER},
  {kind = "list", n = N, [1..N] = values}, {kind = "dict", keys = {in order}, map = {}}.

read_move(bytes) is the whole of decode_move plus the rules' bounds check: nil for a
payload that is not a move (bad_payload), else row, col, each 1, 2 or 3, or false for
any other value (out_of_bounds). A double that is a whole number is that number: 2.0,
2e0 and 0.2e1 are 2. read_claim(bytes) is decode_claim: "win", "draw", or nil;
read_reaction(bytes) is decode_reaction: one of the six ids, or nil.

Pure Lua 5.1: it runs under Nakama's Lua VM (gopher-lua) and plain Lua alike. It only
hands tonumber text it has checked and written with a "." (gopher-lua's tonumber reads
"1e5" as nil, and a number too large for a double as nil, not infinity).
]]

local M = {}

M.MAX_BYTES = 128 -- MAX_MOVE_BYTES of game/xoxo.py

local NULL = setmetatable({}, { __tostring = function() return "null" end })
M.NULL = NULL

local ZERO = 0
local INF = 1 / ZERO -- math.huge is the largest finite number under gopher-lua

local byte, char, sub, floor = string.byte, string.char, string.sub, math.floor
local concat = table.concat

local function fail(message)
  error(message, 0)
end

-- Bytes -----------------------------------------------------------------------------------

local function is_cont(b)
  return b ~= nil and b >= 0x80 and b <= 0xBF
end

-- Raises unless s is well-formed UTF-8 (the Unicode standard's table 3-7, which is what
-- Python's strict decoder accepts).
local function check_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local b = byte(s, i)
    if b < 0x80 then
      i = i + 1
    else
      local len, lo, hi -- the length of the sequence, the range of its second byte
      if b >= 0xC2 and b <= 0xDF then len, lo, hi = 2, 0x80, 0xBF
      elseif b == 0xE0 then len, lo, hi = 3, 0xA0, 0xBF -- no overlong form
      elseif b == 0xED then len, lo, hi = 3, 0x80, 0x9F -- no surrogate
      elseif b >= 0xE1 and b <= 0xEF then len, lo, hi = 3, 0x80, 0xBF
      elseif b == 0xF0 then len, lo, hi = 4, 0x90, 0xBF -- no overlong form
      elseif b >= 0xF1 and b <= 0xF3 then len, lo, hi = 4, 0x80, 0xBF
      elseif b == 0xF4 then len, lo, hi = 4, 0x80, 0x8F -- nothing above U+10FFFF
      else fail("invalid UTF-8") end
      local b2 = byte(s, i + 1)
      if b2 == nil or b2 < lo or b2 > hi then fail("invalid UTF-8") end
      for k = i + 2, i + len - 1 do
        if not is_cont(byte(s, k)) then fail("invalid UTF-8") end
      end
      i = i + len
    end
  end
end

local function encode_cp(cp)
  if cp < 0x80 then
    return char(cp)
  elseif cp < 0x800 then
    return char(0xC0 + floor(cp / 64), 0x80 + cp % 64)
  elseif cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64, 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

-- Tokens ------------------------------------------------------------------------------------

local WS = { [0x20] = true, [0x09] = true, [0x0A] = true, [0x0D] = true }
local ESCAPES = { [0x22] = '"', [0x5C] = "\\", [0x2F] = "/", [0x62] = "\8", [0x66] = "\12", [0x6E] = "\n",
  [0x72] = "\r", [0x74] = "\t" }
local LITERALS = { [0x6E] = { "null", NULL }, [0x74] = { "true", true }, [0x66] = { "false", false } }

local function skip_ws(s, i)
  local b = byte(s, i)
  while b ~= nil and WS[b] do
    i = i + 1
    b = byte(s, i)
  end
  return i
end

local function is_digit(b)
  return b ~= nil and b >= 0x30 and b <= 0x39
end

local function hex4(s, i)
  local v = 0
  for k = i, i + 3 do
    local b = byte(s, k)
    local d
    if b == nil then fail("bad \\u escape")
    elseif b >= 0x30 and b <= 0x39 then d = b - 0x30
    elseif b >= 0x61 and b <= 0x66 then d = b - 0x57
    elseif b >= 0x41 and b <= 0x46 then d = b - 0x37
    else fail("bad \\u escape") end
    v = v * 16 + d
  end
  return v
end

-- A string whose opening quote is at i - 1; returns the string and the index after it.
local function read_string(s, i)
  local out, start = {}, i
  while true do
    local b = byte(s, i)
    if b == nil then fail("unterminated string") end
    if b == 0x22 then
      out[#out + 1] = sub(s, start, i - 1)
      return concat(out), i + 1
    elseif b == 0x5C then
      out[#out + 1] = sub(s, start, i - 1)
      local e = byte(s, i + 1)
      if e == 0x75 then
        local cp = hex4(s, i + 2)
        i = i + 6
        if cp >= 0xD800 and cp <= 0xDBFF and byte(s, i) == 0x5C and byte(s, i + 1) == 0x75 then
          local lo = hex4(s, i + 2) -- bad hex digits here are an error, as in Python
          if lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            i = i + 6
          end
        end
        out[#out + 1] = encode_cp(cp)
      elseif e ~= nil and ESCAPES[e] then
        out[#out + 1] = ESCAPES[e]
        i = i + 2
      else
        fail("bad escape")
      end
      start = i
    elseif b < 0x20 then
      fail("control character in string")
    else
      i = i + 1
    end
  end
end

-- A double literal's value: tonumber needs a "." under gopher-lua, and it gives nil (not
-- infinity) for a literal too large for a double.
local function float_value(int_part, frac, exp)
  local v = tonumber(int_part .. "." .. (frac ~= "" and frac or "0") .. (exp ~= "" and ("e" .. exp) or ""))
  if v == nil then
    if sub(exp, 1, 1) == "-" then v = 0 else v = INF end
    if sub(int_part, 1, 1) == "-" then v = -v end
  end
  return v
end

-- A number at i (JSON's grammar; what follows it is the caller's business).
local function read_number(s, i)
  local start = i
  if byte(s, i) == 0x2D then i = i + 1 end
  local b = byte(s, i)
  if b == 0x30 then
    i = i + 1
  elseif b ~= nil and b >= 0x31 and b <= 0x39 then
    i = i + 1
    while is_digit(byte(s, i)) do i = i + 1 end
  else
    fail("expecting value")
  end
  local int_part = sub(s, start, i - 1)
  local frac, exp = "", ""
  if byte(s, i) == 0x2E and is_digit(byte(s, i + 1)) then
    local f = i + 1
    i = i + 2
    while is_digit(byte(s, i)) do i = i + 1 end
    frac = sub(s, f, i - 1)
  end
  b = byte(s, i)
  if b == 0x65 or b == 0x45 then
    local j = i + 1
    local sign = byte(s, j)
    if sign == 0x2B or sign == 0x2D then j = j + 1 end
    if is_digit(byte(s, j)) then
      while is_digit(byte(s, j)) do j = j + 1 end
      exp = sub(s, i + 1, j - 1)
      i = j
    end
  end
  if frac == "" and exp == "" then return { kind = "int", text = int_part }, i end
  return { kind = "float", value = float_value(int_part, frac, exp) }, i
end

-- A key and its ':' at i (after whitespace); returns the key and the index of its value.
local function read_key(s, i)
  if byte(s, i) ~= 0x22 then fail("expecting property name") end
  local key
  key, i = read_string(s, i + 1)
  i = skip_ws(s, i)
  if byte(s, i) ~= 0x3A then fail("expecting ':' delimiter") end
  return key, skip_ws(s, i + 1)
end

-- The reader --------------------------------------------------------------------------------

--- The value of a payload (a Lua string of bytes, or nil for none); raises on anything
--- decode_move refuses before looking at the value.
function M.decode(data)
  local s = data or ""
  if #s > M.MAX_BYTES then fail("longer than " .. M.MAX_BYTES .. " bytes") end
  check_utf8(s)
  -- The open arrays and objects, innermost last, each with the key its next value goes
  -- under (objects) and its closing byte.
  local open, depth = {}, 0
  local i = skip_ws(s, 1)
  while true do
    -- A value starts at i.
    local b = byte(s, i)
    local v
    if b == 0x5B or b == 0x7B then
      local frame = { close = b + 2 } -- "]" or "}"
      if b == 0x5B then frame.c = { kind = "list", n = 0 } else frame.c = { kind = "dict", keys = {}, map = {} } end
      i = skip_ws(s, i + 1)
      if byte(s, i) == frame.close then
        v = frame.c
        i = i + 1
      else
        if b == 0x7B then frame.key, i = read_key(s, i) end
        depth = depth + 1
        open[depth] = frame
      end
    elseif b == 0x22 then
      v, i = read_string(s, i + 1)
    elseif b ~= nil and LITERALS[b] then
      local word = LITERALS[b][1]
      if sub(s, i, i + #word - 1) ~= word then fail("expecting value") end
      v = LITERALS[b][2]
      i = i + #word
    else
      v, i = read_number(s, i)
    end
    -- A complete value goes into its array or object, which may then close in turn,
    -- until a ',' asks for the next value or the top-level value is done.
    while v ~= nil do
      local frame = open[depth]
      if frame == nil then
        if skip_ws(s, i) <= #s then fail("extra data") end
        return v
      end
      local c = frame.c
      if c.kind == "list" then
        c.n = c.n + 1
        c[c.n] = v
      else
        if c.map[frame.key] == nil then c.keys[#c.keys + 1] = frame.key end
        c.map[frame.key] = v
      end
      i = skip_ws(s, i)
      b = byte(s, i)
      if b == 0x2C then
        i = skip_ws(s, i + 1)
        if c.kind == "dict" then frame.key, i = read_key(s, i) end
        v = nil
      elseif b == frame.close then
        i = i + 1
        v = c
        open[depth] = nil
        depth = depth - 1
      else
        fail("expecting ',' delimiter")
      end
    end
  end
end

function M.is_dict(v)
  return type(v) == "table" and v.kind == "dict"
end

-- 1, 2 or 3 for a whole number 1 to 3 (a double such as 2.0 included), else false.
local function coordinate(v)
  if type(v) ~= "table" then return false end
  if v.kind == "int" then
    if v.text == "1" then return 1 elseif v.text == "2" then return 2 elseif v.text == "3" then return 3 end
  elseif v.kind == "float" then
    local x = v.value
    if x == 1 then return 1 elseif x == 2 then return 2 elseif x == 3 then return 3 end
  end
  return false
end

--- decode_move of game/xoxo.py and the bounds check of game/rules.py: nil if the payload
--- is not a move, else row, col, each 1, 2, 3 or false (not a whole number 1 to 3).
function M.read_move(data)
  local ok, v = pcall(M.decode, data)
  if not ok or not M.is_dict(v) or v.map.row == nil or v.map.col == nil then return nil end
  return coordinate(v.map.row), coordinate(v.map.col)
end

--- decode_reaction of game/xoxo.py: the reaction's id, or nil for a payload that is not a reaction.
local REACTION_IDS = { hello = true, good_game = true, well_played = true, oops = true, thinking = true,
  rematch = true }
function M.read_reaction(data)
  local ok, v = pcall(M.decode, data)
  if not ok or not M.is_dict(v) then return nil end
  local id = v.map.reaction
  if type(id) == "string" and REACTION_IDS[id] then return id end
  return nil
end

--- decode_claim of game/xoxo.py: "win" or "draw", or nil for a payload that is not a claim.
function M.read_claim(data)
  local ok, v = pcall(M.decode, data)
  if not ok or not M.is_dict(v) then return nil end
  local claim = v.map.claim
  if claim == "win" or claim == "draw" then return claim end
  return nil
end

return M
