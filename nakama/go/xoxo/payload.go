package xoxo

// Reading what a client sends (moves, claims, reactions) exactly as game/xoxo.py's
// decode_move, decode_claim and decode_reaction read it: at most maxPayloadBytes of strict
// UTF-8 holding one JSON value as Python's json.loads reads it (JSON's four whitespace
// characters, no NaN or Infinity, numbers in JSON's grammar, a repeated key: the last one
// counts), the same rules nakama/xoxo_plus_json.lua follows.

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const maxPayloadBytes = 128

// value kinds of the reader
const (
	kNull = iota
	kBool
	kString
	kInt   // a number without fraction or exponent; small says whether it fits an int64
	kFloat // any other number, rounded to the nearest double (1e400 is infinity)
	kList
	kDict
)

type jvalue struct {
	kind  int
	s     string
	i     int64
	small bool
	f     float64
	dict  map[string]jvalue
}

type reader struct {
	b   []byte
	pos int
}

type syntaxError struct{}

func (syntaxError) Error() string { return "not JSON" }

// decodePayload reads data as one JSON value, or fails.
func decodePayload(data []byte) (v jvalue, ok bool) {
	if len(data) > maxPayloadBytes || !utf8.Valid(data) {
		return v, false
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return v, false // json.loads refuses a text that starts with a BOM
	}
	r := &reader{b: data}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	r.space()
	v = r.value()
	r.space()
	if r.pos != len(r.b) {
		return v, false
	}
	return v, true
}

func (r *reader) fail() { panic(syntaxError{}) }

func (r *reader) space() {
	for r.pos < len(r.b) {
		switch r.b[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *reader) peek() byte {
	if r.pos >= len(r.b) {
		r.fail()
	}
	return r.b[r.pos]
}

func (r *reader) literal(word string) {
	if len(r.b)-r.pos < len(word) || string(r.b[r.pos:r.pos+len(word)]) != word {
		r.fail()
	}
	r.pos += len(word)
}

func (r *reader) value() jvalue {
	switch c := r.peek(); {
	case c == '{':
		return r.object()
	case c == '[':
		r.pos++
		r.space()
		if r.peek() == ']' {
			r.pos++
			return jvalue{kind: kList}
		}
		for {
			r.space()
			r.value()
			r.space()
			switch r.peek() {
			case ',':
				r.pos++
			case ']':
				r.pos++
				return jvalue{kind: kList}
			default:
				r.fail()
			}
		}
	case c == '"':
		return jvalue{kind: kString, s: r.str()}
	case c == 'n':
		r.literal("null")
		return jvalue{kind: kNull}
	case c == 't':
		r.literal("true")
		return jvalue{kind: kBool}
	case c == 'f':
		r.literal("false")
		return jvalue{kind: kBool}
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	r.fail()
	return jvalue{}
}

func (r *reader) object() jvalue {
	r.pos++ // {
	out := jvalue{kind: kDict, dict: map[string]jvalue{}}
	r.space()
	if r.peek() == '}' {
		r.pos++
		return out
	}
	for {
		r.space()
		if r.peek() != '"' {
			r.fail()
		}
		key := r.str()
		r.space()
		if r.peek() != ':' {
			r.fail()
		}
		r.pos++
		r.space()
		out.dict[key] = r.value() // the last of two equal keys counts
		r.space()
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return out
		default:
			r.fail()
		}
	}
}

func digits(b []byte, pos int) int {
	for pos < len(b) && b[pos] >= '0' && b[pos] <= '9' {
		pos++
	}
	return pos
}

func (r *reader) number() jvalue {
	start := r.pos
	if r.b[r.pos] == '-' {
		r.pos++
	}
	if r.peek() == '0' {
		r.pos++
	} else if c := r.peek(); c >= '1' && c <= '9' {
		r.pos = digits(r.b, r.pos)
	} else {
		r.fail()
	}
	whole := true
	if r.pos+1 < len(r.b) && r.b[r.pos] == '.' && r.b[r.pos+1] >= '0' && r.b[r.pos+1] <= '9' {
		r.pos = digits(r.b, r.pos+1)
		whole = false
	}
	if r.pos < len(r.b) && (r.b[r.pos] == 'e' || r.b[r.pos] == 'E') {
		at := r.pos + 1
		if at < len(r.b) && (r.b[at] == '+' || r.b[at] == '-') {
			at++
		}
		if at < len(r.b) && r.b[at] >= '0' && r.b[at] <= '9' {
			r.pos = digits(r.b, at)
			whole = false
		}
	}
	text := string(r.b[start:r.pos])
	if whole {
		i, err := strconv.ParseInt(text, 10, 64)
		return jvalue{kind: kInt, i: i, small: err == nil}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) && f != 0 {
		r.fail()
	}
	return jvalue{kind: kFloat, f: f}
}

func hex4(b []byte, pos int) (rune, bool) {
	if pos+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[pos:pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// str reads a string; a lone surrogate escape is kept as its own three bytes (so it equals no key we look for).
func (r *reader) str() string {
	r.pos++ // "
	var out []byte
	for {
		c := r.peek()
		switch {
		case c == '"':
			r.pos++
			return string(out)
		case c < 0x20:
			r.fail()
		case c != '\\':
			out = append(out, c)
			r.pos++
			continue
		}
		r.pos++
		e := r.peek()
		r.pos++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			u, ok := hex4(r.b, r.pos)
			if !ok {
				r.fail()
			}
			r.pos += 4
			if u >= 0xD800 && u <= 0xDBFF && r.pos+1 < len(r.b) && r.b[r.pos] == '\\' && r.b[r.pos+1] == 'u' {
				if low, ok := hex4(r.b, r.pos+2); ok && low >= 0xDC00 && low <= 0xDFFF {
					r.pos += 6
					u = 0x10000 + (u-0xD800)<<10 + (low - 0xDC00)
				}
			}
			if u >= 0xD800 && u <= 0xDFFF {
				out = append(out, byte(0xE0|u>>12), byte(0x80|(u>>6)&0x3F), byte(0x80|u&0x3F))
			} else {
				out = utf8.AppendRune(out, u)
			}
		default:
			r.fail()
		}
	}
}

// coordinate is a row or column as decode_move reads it, 0 for anything that is not a whole number.
func coordinate(v jvalue) int {
	switch v.kind {
	case kInt:
		if v.small && v.i >= 1 && v.i <= 3 {
			return int(v.i)
		}
	case kFloat:
		if v.f == math.Trunc(v.f) && v.f >= 1 && v.f <= 3 {
			return int(v.f)
		}
	}
	return 0
}

// readMove: ok false for a payload that is not a move (bad_payload); else row and col, each 1 to 3, or 0 (out of bounds).
func readMove(data []byte) (row, col int, ok bool) {
	if len(data) == 17 && string(data[:7]) == `{"row":` && string(data[8:15]) == `,"col":` && data[16] == '}' {
		r, c := data[7], data[15] // the usual spelling, {"row":R,"col":C}
		if r >= '1' && r <= '3' && c >= '1' && c <= '3' {
			return int(r - '0'), int(c - '0'), true
		}
	}
	v, good := decodePayload(data)
	if !good || v.kind != kDict {
		return 0, 0, false
	}
	rv, hasRow := v.dict["row"]
	cv, hasCol := v.dict["col"]
	if !hasRow || !hasCol {
		return 0, 0, false
	}
	return coordinate(rv), coordinate(cv), true
}

// readWord: the string under key of a JSON object payload, ok false if there is none.
func readWord(data []byte, key string) (string, bool) {
	v, good := decodePayload(data)
	if !good || v.kind != kDict {
		return "", false
	}
	w, has := v.dict[key]
	if !has || w.kind != kString {
		return "", false
	}
	return w.s, true
}

func readClaim(data []byte) string {
	w, _ := readWord(data, "claim")
	if w == "win" || w == "draw" {
		return w
	}
	return ""
}

var reactionIDs = map[string]bool{"hello": true, "good_game": true, "well_played": true, "oops": true,
	"thinking": true, "rematch": true}

func readReaction(data []byte) string {
	w, _ := readWord(data, "reaction")
	if reactionIDs[w] {
		return w
	}
	return ""
}
