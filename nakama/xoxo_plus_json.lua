--[[
xoxo_plus_json: reads a client's match payload, and quotes a value back in a refusal.

Part of the tic-tac-toe Nakama module (see docs/NAKAMA.md). The match handler must
answer every payload exactly as the game's Python handler (game/match.py) does, so
this reader accepts exactly what Python's json.loads accepts for a payload of bytes:
the encodings it detects (UTF-8 with or without a BOM, UTF-16 and UTF-32 told apart
by their BOM or zero bytes, lone surrogates passed through), NaN, Infinity and
-Infinity, whole numbers kept apart from fractions (1 is a row, 1.0 is not), the
last of two equal keys winning. It stops at MAX_DEPTH levels of nesting.

decode(bytes) returns a value or raises an error (call it inside pcall):
  NULL, true, false, a string (generalized UTF-8: a lone surrogate is its own
  3-byte sequence), {kind = "int", text = DIGITS}, {kind = "float", value = NUMBER},
  {kind = "list", n = N, [1..N] = values}, {kind = "dict", keys = {in order}, map = {}}.

repr(value) writes a value the way Python's repr writes the decoded value, since
refusal messages quote what the player sent.

Pure Lua 5.1: it runs under Nakama's Lua VM (gopher-lua) and plain Lua alike. It only
hands tonumber text it has checked and written with a "." (gopher-lua's tonumber reads
"1e5" as nil, and a number too large for a double as nil, not infinity).
]]

local M = {}

local NULL = setmetatable({}, { __tostring = function() return "null" end })
M.NULL = NULL

local ZERO = 0
local INF = 1 / ZERO -- math.huge is the largest finite number under gopher-lua
local NAN = ZERO / ZERO

M.MAX_DEPTH = 32 -- Python stops near its recursion limit (about 1000 levels)
local MAX_INT_DIGITS = 4300 -- Python's int() refuses longer numbers

local byte, char, sub, format, floor = string.byte, string.char, string.sub, string.format, math.floor
local concat = table.concat

local function fail(message)
  error(message, 0)
end

-- Code points <-> generalized UTF-8 ---------------------------------------------------

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

-- Bytes to text -------------------------------------------------------------------------

local function is_cont(b)
  return b ~= nil and b >= 0x80 and b <= 0xBF
end

-- UTF-8 as Python decodes it with errors="surrogatepass": strict, except that an
-- encoded surrogate (ED A0..BF xx) is let through. The bytes stay as they are.
local function check_utf8(s, from)
  local i, n = from, #s
  while i <= n do
    local b = byte(s, i)
    if b < 0x80 then
      i = i + 1
    elseif b >= 0xC2 and b <= 0xDF then
      if not is_cont(byte(s, i + 1)) then fail("invalid UTF-8") end
      i = i + 2
    elseif b >= 0xE0 and b <= 0xEF then
      local b2 = byte(s, i + 1)
      if b2 == nil or (b == 0xE0 and (b2 < 0xA0 or b2 > 0xBF)) or not is_cont(b2) or not is_cont(byte(s, i + 2)) then
        fail("invalid UTF-8")
      end
      i = i + 3
    elseif b >= 0xF0 and b <= 0xF4 then
      local b2 = byte(s, i + 1)
      local lo, hi = 0x80, 0xBF
      if b == 0xF0 then lo = 0x90 elseif b == 0xF4 then hi = 0x8F end
      if b2 == nil or b2 < lo or b2 > hi or not is_cont(byte(s, i + 2)) or not is_cont(byte(s, i + 3)) then
        fail("invalid UTF-8")
      end
      i = i + 4
    else
      fail("invalid UTF-8")
    end
  end
  return sub(s, from)
end

local function utf16(s, from, big_endian)
  if (#s - from + 1) % 2 ~= 0 then fail("truncated UTF-16") end
  local out, units, k = {}, {}, 0
  for i = from, #s, 2 do
    local a, b = byte(s, i, i + 1)
    k = k + 1
    units[k] = big_endian and (a * 256 + b) or (b * 256 + a)
  end
  local j = 1
  while j <= k do
    local u = units[j]
    local u2 = units[j + 1]
    if u >= 0xD800 and u <= 0xDBFF and u2 ~= nil and u2 >= 0xDC00 and u2 <= 0xDFFF then
      out[#out + 1] = encode_cp(0x10000 + (u - 0xD800) * 1024 + (u2 - 0xDC00))
      j = j + 2
    else
      out[#out + 1] = encode_cp(u) -- a lone surrogate passes (surrogatepass)
      j = j + 1
    end
  end
  return concat(out)
end

local function utf32(s, from, big_endian)
  if (#s - from + 1) % 4 ~= 0 then fail("truncated UTF-32") end
  local out = {}
  for i = from, #s, 4 do
    local a, b, c, d = byte(s, i, i + 3)
    local cp
    if big_endian then cp = ((a * 256 + b) * 256 + c) * 256 + d else cp = ((d * 256 + c) * 256 + b) * 256 + a end
    if cp > 0x10FFFF then fail("code point out of range") end
    out[#out + 1] = encode_cp(cp)
  end
  return concat(out)
end

-- The text of a payload of bytes: Python's json.detect_encoding, then the decoder it picks.
local function to_text(s)
  local n = #s
  local b1, b2, b3, b4 = byte(s, 1, 4)
  if n >= 4 and b1 == 0 and b2 == 0 and b3 == 0xFE and b4 == 0xFF then return utf32(s, 5, true) end
  if n >= 4 and b1 == 0xFF and b2 == 0xFE and b3 == 0 and b4 == 0 then return utf32(s, 5, false) end
  if n >= 2 and b1 == 0xFE and b2 == 0xFF then return utf16(s, 3, true) end
  if n >= 2 and b1 == 0xFF and b2 == 0xFE then return utf16(s, 3, false) end
  if n >= 3 and b1 == 0xEF and b2 == 0xBB and b3 == 0xBF then return check_utf8(s, 4) end
  if n >= 4 then
    if b1 == 0 then
      if b2 ~= 0 then return utf16(s, 1, true) end
      return utf32(s, 1, true)
    end
    if b2 == 0 then
      if b3 ~= 0 or b4 ~= 0 then return utf16(s, 1, false) end
      return utf32(s, 1, false)
    end
  elseif n == 2 then
    if b1 == 0 then return utf16(s, 1, true) end
    if b2 == 0 then return utf16(s, 1, false) end
  end
  return check_utf8(s, 1)
end

-- The JSON reader (Python's scanner, on the text's bytes) -------------------------------

local WS = { [0x20] = true, [0x09] = true, [0x0A] = true, [0x0D] = true }
local ESCAPES = { [0x22] = '"', [0x5C] = "\\", [0x2F] = "/", [0x62] = "\8", [0x66] = "\12", [0x6E] = "\n",
  [0x72] = "\r", [0x74] = "\t" }

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
      if e == 0x75 then -- \uXXXX, joined with a following \uXXXX low surrogate
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

-- A float literal's value: tonumber needs a "." under gopher-lua, and it gives nil
-- (not infinity) for a literal too large for a double.
local function float_value(int_part, frac, exp)
  local text = int_part .. "." .. (frac ~= "" and frac or "0") .. (exp ~= "" and ("e" .. exp) or "")
  local v = tonumber(text)
  if v == nil then
    local negative = sub(int_part, 1, 1) == "-"
    if sub(exp, 1, 1) == "-" then v = 0 else v = INF end
    if negative then v = -v end
  end
  return v
end

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
      local e = i + 1
      while is_digit(byte(s, j)) do j = j + 1 end
      exp = sub(s, e, j - 1)
      i = j
    end
  end
  if frac == "" and exp == "" then
    local digits = #int_part - ((sub(int_part, 1, 1) == "-") and 1 or 0)
    if digits > MAX_INT_DIGITS then fail("integer too long") end
    return { kind = "int", text = int_part }, i
  end
  return { kind = "float", value = float_value(int_part, frac, exp) }, i
end

local LITERALS = {
  { "null", NULL }, { "true", true }, { "false", false },
  { "NaN", { kind = "float", value = NAN } },
  { "Infinity", { kind = "float", value = INF } },
  { "-Infinity", { kind = "float", value = -INF } },
}

local read_value

local function read_list(s, i, depth)
  local list, n = { kind = "list" }, 0
  i = skip_ws(s, i)
  if byte(s, i) == 0x5D then
    list.n = 0
    return list, i + 1
  end
  while true do
    local v
    v, i = read_value(s, i, depth)
    n = n + 1
    list[n] = v
    i = skip_ws(s, i)
    local b = byte(s, i)
    if b == 0x5D then
      list.n = n
      return list, i + 1
    end
    if b ~= 0x2C then fail("expecting ',' delimiter") end
    i = skip_ws(s, i + 1)
  end
end

local function read_dict(s, i, depth)
  local dict = { kind = "dict", keys = {}, map = {} }
  i = skip_ws(s, i)
  if byte(s, i) == 0x7D then return dict, i + 1 end
  while true do
    if byte(s, i) ~= 0x22 then fail("expecting property name") end
    local key
    key, i = read_string(s, i + 1)
    i = skip_ws(s, i)
    if byte(s, i) ~= 0x3A then fail("expecting ':' delimiter") end
    i = skip_ws(s, i + 1)
    local v
    v, i = read_value(s, i, depth)
    if dict.map[key] == nil then dict.keys[#dict.keys + 1] = key end
    dict.map[key] = v
    i = skip_ws(s, i)
    local b = byte(s, i)
    if b == 0x7D then return dict, i + 1 end
    if b ~= 0x2C then fail("expecting ',' delimiter") end
    i = skip_ws(s, i + 1)
  end
end

read_value = function(s, i, depth)
  local b = byte(s, i)
  if b == 0x22 then return read_string(s, i + 1) end
  if b == 0x7B or b == 0x5B then
    if depth >= M.MAX_DEPTH then fail("nested too deep") end
    if b == 0x7B then return read_dict(s, i + 1, depth + 1) end
    return read_list(s, i + 1, depth + 1)
  end
  for _, lit in ipairs(LITERALS) do
    local word = lit[1]
    if sub(s, i, i + #word - 1) == word then return lit[2], i + #word end
  end
  return read_number(s, i)
end

--- The value of a payload (a Lua string of bytes, or nil for none); raises on anything
--- Python's json.loads would refuse.
function M.decode(data)
  local s = to_text(data or "")
  local i = skip_ws(s, 1)
  local v
  v, i = read_value(s, i, 0)
  i = skip_ws(s, i)
  if i <= #s then fail("extra data") end
  return v
end

function M.is_dict(v)
  return type(v) == "table" and v.kind == "dict"
end

-- Python's repr ---------------------------------------------------------------------------

-- Code points Python's str.isprintable calls unprintable beyond ASCII: the categories
-- Cc, Cf, Cs, Co, Zs, Zl and Zp as of Unicode 14. Unassigned code points (Cn) are not
-- listed, so they are quoted as they are where Python would escape them.
local UNPRINTABLE = {
  { 0x80, 0xA0 }, { 0xAD, 0xAD }, { 0x600, 0x605 }, { 0x61C, 0x61C }, { 0x6DD, 0x6DD }, { 0x70F, 0x70F },
  { 0x890, 0x891 }, { 0x8E2, 0x8E2 }, { 0x1680, 0x1680 }, { 0x180E, 0x180E }, { 0x2000, 0x200F },
  { 0x2028, 0x202F }, { 0x205F, 0x2064 }, { 0x2066, 0x206F }, { 0x3000, 0x3000 }, { 0xD800, 0xF8FF },
  { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD }, { 0x13430, 0x13438 },
  { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
  { 0xF0000, 0xFFFFD }, { 0x100000, 0x10FFFD },
}

local function printable(cp)
  for _, r in ipairs(UNPRINTABLE) do
    if cp < r[1] then return true end
    if cp <= r[2] then return false end
  end
  return true
end

local SPECIAL = { [0x09] = "\\t", [0x0A] = "\\n", [0x0D] = "\\r" }

function M.repr_str(s)
  local quote = 0x27
  if s:find("'", 1, true) and not s:find('"', 1, true) then quote = 0x22 end
  local out, i, n = { char(quote) }, 1, #s
  while i <= n do
    local b = byte(s, i)
    local cp, len
    if b < 0x80 then cp, len = b, 1
    elseif b < 0xE0 then cp, len = (b - 0xC0) * 64 + byte(s, i + 1) - 0x80, 2
    elseif b < 0xF0 then cp, len = ((b - 0xE0) * 64 + byte(s, i + 1) - 0x80) * 64 + byte(s, i + 2) - 0x80, 3
    else
      cp = (((b - 0xF0) * 64 + byte(s, i + 1) - 0x80) * 64 + byte(s, i + 2) - 0x80) * 64 + byte(s, i + 3) - 0x80
      len = 4
    end
    local piece
    if cp == quote or cp == 0x5C then piece = "\\" .. char(cp)
    elseif SPECIAL[cp] then piece = SPECIAL[cp]
    elseif cp < 0x20 or cp == 0x7F then piece = format("\\x%02x", cp)
    elseif cp < 0x7F or printable(cp) then piece = sub(s, i, i + len - 1)
    elseif cp <= 0xFF then piece = format("\\x%02x", cp)
    elseif cp <= 0xFFFF then piece = format("\\u%04x", cp)
    else piece = format("\\U%08x", cp) end
    out[#out + 1] = piece
    i = i + len
  end
  out[#out + 1] = char(quote)
  return concat(out)
end

-- The digits and exponent of "%.Ne" output, read without tonumber.
local function split_e(text)
  local lead, frac, esign, edigits = text:match("^([0-9])%.?([0-9]*)e([-+])([0-9]+)$")
  local e = 0
  for k = 1, #edigits do e = e * 10 + byte(edigits, k) - 0x30 end
  if esign == "-" then e = -e end
  return lead .. frac, e
end

-- The double that digits d1 d2 d3 ... x 10^(e - #digits + 1) reads as.
local function digits_value(digits, e)
  local text = sub(digits, 1, 1) .. "." .. (#digits > 1 and sub(digits, 2) or "0") .. "e" .. e
  return tonumber(text)
end

-- digits + 1 in the last place (a carry past the first digit moves the exponent).
local function bump(digits, e)
  local t, k = { byte(digits, 1, -1) }, #digits
  while k >= 1 and t[k] == 0x39 do
    t[k] = 0x30
    k = k - 1
  end
  if k == 0 then return "1" .. string.rep("0", #digits - 1), e + 1 end
  t[k] = t[k] + 1
  return char(unpack(t)), e
end

-- Python's repr of a float: the shortest digits that read back as x, in fixed notation
-- between 1e-4 and 1e16, else with an exponent.
function M.repr_float(x)
  if x ~= x then return "nan" end
  if x == INF then return "inf" end
  if x == -INF then return "-inf" end
  if x == 0 then return (1 / x < 0) and "-0.0" or "0.0" end
  local sign = ""
  if x < 0 then sign, x = "-", -x end
  local digits, e
  for p = 1, 17 do
    digits, e = split_e(format("%." .. (p - 1) .. "e", x))
    if digits_value(digits, e) == x then break end
    -- Next to a power of two the digits one step up may read back when the nearest do not.
    local up, ue = bump(digits, e)
    if digits_value(up, ue) == x then
      digits, e = up, ue
      break
    end
  end
  digits = digits:gsub("0+$", "")
  if digits == "" then digits = "0" end
  local point = e + 1
  if point <= -4 or point > 16 then
    local mantissa = sub(digits, 1, 1)
    if #digits > 1 then mantissa = mantissa .. "." .. sub(digits, 2) end
    local exp_sign = e < 0 and "-" or "+"
    return sign .. mantissa .. "e" .. exp_sign .. format("%02d", e < 0 and -e or e)
  end
  if point <= 0 then return sign .. "0." .. string.rep("0", -point) .. digits end
  if point >= #digits then return sign .. digits .. string.rep("0", point - #digits) .. ".0" end
  return sign .. sub(digits, 1, point) .. "." .. sub(digits, point + 1)
end

function M.repr(v)
  if v == NULL then return "None" end
  if v == true then return "True" end
  if v == false then return "False" end
  if type(v) == "string" then return M.repr_str(v) end
  if v.kind == "int" then
    if v.text == "-0" then return "0" end
    return v.text
  end
  if v.kind == "float" then return M.repr_float(v.value) end
  local parts = {}
  if v.kind == "list" then
    for k = 1, v.n do parts[k] = M.repr(v[k]) end
    return "[" .. concat(parts, ", ") .. "]"
  end
  for k, key in ipairs(v.keys) do parts[k] = M.repr_str(key) .. ": " .. M.repr(v.map[key]) end
  return "{" .. concat(parts, ", ") .. "}"
end

return M
