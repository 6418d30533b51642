package xoxo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Settings are one match's knobs, from the runtime environment of Nakama's configuration
// (the same keys as the Lua module: xoxo_plus_tick_rate, ...).
type Settings struct {
	TickRate           int
	TurnSeconds        float64 // 0: no turn timer
	GraceSeconds       float64
	RematchSeconds     float64
	RematchCountdown   bool // false ("none"): the next game starts only when both ask
	JoinTimeoutSeconds float64
	IdleSeconds        float64
	IdleLimit          bool // false ("none"): an open offer of the next game waits for ever
	GamesCollection    string
}

// DefaultSettings are the settings of an empty environment.
func DefaultSettings() Settings {
	return Settings{TickRate: 10, TurnSeconds: 30, GraceSeconds: 20, RematchSeconds: 10, RematchCountdown: true,
		JoinTimeoutSeconds: 30, IdleSeconds: 300, IdleLimit: true, GamesCollection: "xoxo_plus_games"}
}

type numberSetting struct {
	key       string
	low, high float64 // high 0: no upper bound
	whole     bool
	above     bool // low itself is refused
}

var numberSettings = []numberSetting{
	{"tick_rate", 1, 60, true, false},
	{"turn_seconds", 0, 0, false, false},
	{"grace_seconds", 0, 0, false, false},
	{"join_timeout_seconds", 0, 0, false, true},
	{"rematch_seconds", 0, 0, true, false},
	{"idle_seconds", 0, 0, false, true},
}

const luaSpace = " \t\n\v\f\r"

func decimal(text string) (float64, bool) {
	whole, frac, dotted := strings.Cut(text, ".")
	allDigits := func(s string) bool {
		if s == "" {
			return false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if !allDigits(whole) || (dotted && !allDigits(frac)) {
		return 0, false
	}
	n, err := strconv.ParseFloat(text, 64)
	return n, err == nil
}

// SettingsFromEnv reads the settings; a value that does not make sense is logged (warn) and the default kept.
func SettingsFromEnv(env map[string]string, warn func(string)) Settings {
	s := DefaultSettings()
	values := map[string]*float64{"tick_rate": nil, "turn_seconds": &s.TurnSeconds, "grace_seconds": &s.GraceSeconds,
		"join_timeout_seconds": &s.JoinTimeoutSeconds, "rematch_seconds": &s.RematchSeconds,
		"idle_seconds": &s.IdleSeconds}
	tick := float64(s.TickRate)
	values["tick_rate"] = &tick
	for _, spec := range numberSettings {
		raw, given := env["xoxo_plus_"+spec.key]
		if !given {
			continue
		}
		trimmed := strings.Trim(raw, luaSpace)
		if (spec.key == "rematch_seconds" || spec.key == "idle_seconds") && strings.EqualFold(trimmed, "none") {
			if spec.key == "rematch_seconds" {
				s.RematchCountdown = false
			} else {
				s.IdleLimit = false
			}
			continue
		}
		n, ok := decimal(trimmed)
		if ok && n >= spec.low && !(spec.above && n == spec.low) && (spec.high == 0 || n <= spec.high) &&
			(!spec.whole || n == math.Trunc(n)) {
			*values[spec.key] = n
			continue
		}
		warn(fmt.Sprintf("xoxo_plus: ignoring runtime.env xoxo_plus_%s=%s, using %s", spec.key, raw,
			luaNumber(*values[spec.key])))
	}
	s.TickRate = int(tick)
	if c, given := env["xoxo_plus_games_collection"]; given {
		s.GamesCollection = c
	}
	return s
}

// luaNumber writes a number as Lua's tostring does under Nakama (gopher-lua): whole numbers without a point.
func luaNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e18 {
		return strconv.FormatInt(int64(x), 10)
	}
	return fmt.Sprint(x)
}

// rounded2 is a number rounded to 0.01 (Python's round(x, 2); tonumber(format("%.2f", x)) in Lua).
func rounded2(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	return v
}
