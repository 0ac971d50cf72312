package augment

import (
	"math"
	"math/rand/v2"
)

// logGamma1 draws log X for X ~ Gamma(shape, 1), shape > 0, with
// Marsaglia & Tsang's method ("A Simple Method for Generating Gamma
// Variables", ACM TOMS 2000). For shape < 1 it uses their boost
// X = Gamma(shape+1) * U^(1/shape), kept in log space so that tiny shapes
// (mixup's 0.3 gives values near 1e-300) do not underflow to 0.
func logGamma1(rng *rand.Rand, shape float64) float64 {
	boost := 0.0
	if shape < 1 {
		u := 1 - rng.Float64() // (0, 1]
		boost = math.Log(u) / shape
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return math.Log(d*v) + boost
		}
	}
}

// Gamma draws from Gamma(shape, 1). It panics unless shape > 0.
func Gamma(rng *rand.Rand, shape float64) float64 {
	if !(shape > 0) {
		panic("augment: gamma shape must be > 0")
	}
	return math.Exp(logGamma1(rng, shape))
}

// Beta draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b),
// computed as 1/(1+exp(log Y - log X)) so that it stays in [0, 1] for tiny
// draws. It panics unless a, b > 0.
func Beta(rng *rand.Rand, a, b float64) float64 {
	if !(a > 0 && b > 0) {
		panic("augment: beta parameters must be > 0")
	}
	lx, ly := logGamma1(rng, a), logGamma1(rng, b)
	return 1 / (1 + math.Exp(ly-lx))
}
