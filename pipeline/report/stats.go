package report

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Level is the coverage of every confidence interval in a report.
const Level = 0.95

// Stats describes a sample: its size, mean, sample standard deviation (n−1 denominator) and
// the two-sided Level confidence interval of the mean from Student's t distribution with n−1
// degrees of freedom, mean ± t·std/√n. Std, Lo and Hi are NaN for fewer than two values
// (Mean too for none).
type Stats struct {
	N              int
	Mean, Std      float64
	Lo, Hi         float64
	HalfWidth      float64 // (Hi − Lo)/2
	Values         []float64
	NonFiniteCount int // values left out because they were NaN or ±Inf (not recorded)
}

// Describe computes Stats of the finite values of x.
func Describe(x []float64) Stats {
	nan := math.NaN()
	s := Stats{Mean: nan, Std: nan, Lo: nan, Hi: nan, HalfWidth: nan}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			s.NonFiniteCount++
			continue
		}
		s.Values = append(s.Values, v)
	}
	s.N = len(s.Values)
	if s.N == 0 {
		return s
	}
	s.Mean = stat.Mean(s.Values, nil)
	if s.N < 2 {
		return s
	}
	s.Std = stat.StdDev(s.Values, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(s.N - 1)}.Quantile(1 - (1-Level)/2)
	s.HalfWidth = t * s.Std / math.Sqrt(float64(s.N))
	s.Lo, s.Hi = s.Mean-s.HalfWidth, s.Mean+s.HalfWidth
	return s
}
