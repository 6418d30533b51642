package xoxo

// Glicko-2 for one game, the arithmetic of game/rating.py step by step in the same order, as
// nakama/xoxo_plus_match.lua writes it: exp and log from + - * / only, and sqrt, so every
// result has the same bits as Python's. Each product is converted to float64 before it is
// added to anything: Go may otherwise fuse a*b+c into one instruction (FMA), rounded once.

import (
	"encoding/json"
	"math"
)

// RatingBoard is the leaderboard of ratings.
const RatingBoard = "xoxo_rating"

const (
	scale, base, eps, maxIterations, tau = 173.7178, 1500.0, 0.000001, 100, 0.5
	startDeviation, startVolatility      = 350.0, 0.06
	provisionalAbove                     = 110.0
	pi                                   = 3.141592653589793
	ln2Hi, ln2Lo                         = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	invLn2                               = 1.44269504088896338700e00
	sqrt2, sqrt1Half                     = 1.4142135623730951, 0.7071067811865476
)

func mul(a, b float64) float64 { return float64(a * b) }

func exp(x float64) float64 {
	if x > 709.0 {
		return math.Inf(1)
	}
	if x < -745.0 {
		return 0.0
	}
	k := math.Floor(mul(x, invLn2) + 0.5)
	r := (x - mul(k, ln2Hi)) - mul(k, ln2Lo)
	p := 1.0
	for n := 14; n >= 1; n-- {
		p = 1.0 + mul(r/float64(n), p)
	}
	f := 0.5
	if k > 0 {
		f = 2.0
	}
	for i := 0; i < int(math.Abs(k)); i++ {
		p = mul(p, f)
	}
	return p
}

func log(x float64) float64 {
	m, e := x, 0.0
	for m >= sqrt2 {
		m = m / 2.0
		e = e + 1.0
	}
	for m < sqrt1Half {
		m = mul(m, 2.0)
		e = e - 1.0
	}
	s := (m - 1.0) / (m + 1.0)
	s2 := mul(s, s)
	t := 1.0 / 25
	for n := 11; n >= 0; n-- {
		t = (1.0 / float64(2*n+1)) + mul(s2, t)
	}
	return mul(e, ln2Hi) + (mul(e, ln2Lo) + mul(mul(2.0, s), t))
}

func volatility(delta, phiSq, v, sigma float64) float64 {
	a := log(mul(sigma, sigma))
	tauSq, d2 := mul(tau, tau), mul(delta, delta)
	f := func(x float64) float64 {
		ex := exp(x)
		spread := (phiSq + v) + ex
		return mul(ex, ((d2-phiSq)-v)-ex)/mul(2.0, mul(spread, spread)) - (x-a)/tauSq
	}
	A, B := a, 0.0
	if d2 > phiSq+v {
		B = log((d2 - phiSq) - v)
	} else {
		k := 1.0
		for f(a-mul(k, tau)) < 0.0 && k < maxIterations {
			k = k + 1
		}
		B = a - mul(k, tau)
	}
	fa, fb, it := f(A), f(B), 0
	for math.Abs(B-A) > eps && it < maxIterations {
		it++
		C := A + mul(A-B, fa)/(fb-fa)
		fc := f(C)
		if mul(fc, fb) <= 0.0 {
			A = B
			fa = fb
		} else {
			fa = fa / 2.0
		}
		B = C
		fb = fc
	}
	return exp(A / 2.0)
}

// rate is one game for one player: the new rating, deviation and volatility; score 1, 0.5 or 0.
func rate(r, rd, sigma, oppR, oppRd, score float64) (float64, float64, float64) {
	mu, phi := (r-base)/scale, rd/scale
	phiSq := mul(phi, phi)
	gg := 1.0 / math.Sqrt(1.0+mul(3.0, mul(oppRd/scale, oppRd/scale))/mul(pi, pi))
	e := 1.0 / (1.0 + exp(-mul(gg, mu-(oppR-base)/scale)))
	information := 0.0 + mul(mul(mul(gg, gg), e), 1.0-e)
	surprise := 0.0 + mul(gg, score-e)
	v := 1.0 / information
	sigmaNew := volatility(mul(v, surprise), phiSq, v, sigma)
	phiNew := 1.0 / math.Sqrt(1.0/(phiSq+mul(sigmaNew, sigmaNew))+1.0/v)
	return r + mul(scale, mul(mul(phiNew, phiNew), surprise)), mul(scale, phiNew), sigmaNew
}

// standing is a player's record on the leaderboard (game/standing.py's Standing).
type standing struct {
	Rating, Deviation, Volatility float64
	Wins, Losses, Draws, Aborts   int64
	LastGame                      string
}

func newStanding() standing {
	return standing{Rating: base, Deviation: startDeviation, Volatility: startVolatility}
}

// standingFrom reads a record's metadata (JSON text), anything unreadable at its default.
func standingFrom(metadata []byte) standing {
	var meta map[string]any
	if json.Unmarshal(metadata, &meta) != nil {
		meta = nil
	}
	real := func(key string, def float64) float64 {
		if v, ok := meta[key].(float64); ok && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return v
		}
		return def
	}
	count := func(key string) int64 {
		if v, ok := meta[key].(float64); ok && v >= 0 && v == math.Floor(v) && !math.IsInf(v, 0) {
			return int64(v)
		}
		return 0
	}
	s := standing{Rating: real("rating", base), Deviation: real("deviation", startDeviation),
		Volatility: real("volatility", startVolatility), Wins: count("wins"), Losses: count("losses"),
		Draws: count("draws"), Aborts: count("aborts_in_a_row")}
	if !(s.Deviation > 0.0 && s.Volatility > 0.0) {
		s.Rating, s.Deviation, s.Volatility = base, startDeviation, startVolatility
	}
	if last, ok := meta["last_game"].(string); ok {
		s.LastGame = last
	}
	return s
}

// metadata is the record's metadata as the leaderboard keeps it.
func (s standing) metadata() map[string]any {
	return map[string]any{"rating": s.Rating, "deviation": s.Deviation, "volatility": s.Volatility,
		"wins": s.Wins, "losses": s.Losses, "draws": s.Draws, "aborts_in_a_row": s.Aborts, "last_game": s.LastGame}
}

func shown(x float64) int64 { return int64(math.Floor(x + 0.5)) }

func (s standing) provisional() bool { return s.Deviation > provisionalAbove }
