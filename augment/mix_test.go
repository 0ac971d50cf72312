package augment

import (
	"math"
	"testing"
)

// codedBatch returns a batch whose X encodes (image, channel, row, column)
// in every value, so that a mixed value tells where it came from.
func codedBatch(n, c, h, w int) *Batch {
	b := NewBatch(n, c, h, w)
	for j := range n {
		b.Label[j] = j % 3
		for ch := range c {
			for y := range h {
				for x := range w {
					b.X[((j*c+ch)*h+y)*w+x] = float32(code(j, ch, y, x))
				}
			}
		}
	}
	return b
}

func code(j, c, y, x int) int { return ((j*4+c)*64+y)*64 + x }

func decode(v float32) (j, c, y, x int) {
	k := int(v)
	return k / (4 * 64 * 64), k / (64 * 64) % 4, k / 64 % 64, k % 64
}

// checkParts verifies the bookkeeping of a mixed batch: Parts entries per
// image, sources in range, weights >= 0 summing to 1, and, if pixels is
// true, that the weight of each source equals the share of the image's
// pixels copied from it (the actual area).
func checkParts(t *testing.T, name string, b *Batch, parts int, pixels bool) {
	t.Helper()
	if b.Parts != parts || len(b.Src) != b.N*parts || len(b.Weight) != b.N*parts {
		t.Fatalf("%s: Parts %d, len Src %d, len Weight %d; want %d parts for %d images",
			name, b.Parts, len(b.Src), len(b.Weight), parts, b.N)
	}
	hw := b.H * b.W
	for j := range b.N {
		sum := float32(0)
		share := map[int]float64{}
		for k := range parts {
			s, w := b.Src[j*parts+k], b.Weight[j*parts+k]
			if s < 0 || s >= b.N || w < 0 {
				t.Fatalf("%s: image %d part %d has source %d, weight %v", name, j, k, s, w)
			}
			sum += w
			share[s] += float64(w)
		}
		if math.Abs(float64(sum)-1) > 1e-6 {
			t.Fatalf("%s: image %d weights sum to %v", name, j, sum)
		}
		if !pixels {
			continue
		}
		count := map[int]int{}
		for ch := range b.C {
			for y := range b.H {
				for x := range b.W {
					sj, sc, _, _ := decode(b.X[((j*b.C+ch)*b.H+y)*b.W+x])
					if sc != ch {
						t.Fatalf("%s: image %d channel %d took channel %d", name, j, ch, sc)
					}
					if ch == 0 {
						count[sj]++
					}
				}
			}
		}
		for s, n := range count {
			if want := share[s] * float64(hw); math.Abs(float64(n)-want) > 1e-3*float64(hw) {
				t.Fatalf("%s: image %d has %d pixels from %d, weights give %g", name, j, n, s, want)
			}
		}
		for s, w := range share {
			if w > 1e-9 && count[s] == 0 {
				t.Fatalf("%s: image %d credits %d with %g but has none of its pixels", name, j, s, w)
			}
		}
	}
}

// TestRICAPPatchesMatchWeights: every pixel of a RICAP image comes from one
// of its four sources, each patch is a translated crop of one source, and
// the weights are the patch areas w_k*h_k/(H*W), summing to 1.
func TestRICAPPatchesMatchWeights(t *testing.T) {
	for _, shape := range [][4]int{{8, 3, 32, 32}, {5, 1, 7, 11}, {3, 3, 1, 1}, {1, 3, 4, 4}} {
		m := &RICAP{Beta: 0.3}
		rng := newRNG(20)
		for range 50 {
			b := codedBatch(shape[0], shape[1], shape[2], shape[3])
			m.Mix(b, rng)
			checkParts(t, "ricap", b, 4, true)
			checkRICAPBlocks(t, b)
		}
	}
}

// checkRICAPBlocks recovers w and h from the weights and checks that each
// of the four blocks is a translated crop of its source.
func checkRICAPBlocks(t *testing.T, b *Batch) {
	t.Helper()
	H, W := b.H, b.W
	for j := range b.N {
		// Block k has (rows, cols) with rows of block 0 = w, cols of block 0 = h.
		w0 := b.Weight[4*j] + b.Weight[4*j+2] // (w/H) * (h + W-h)/W = w/H
		h0 := b.Weight[4*j] + b.Weight[4*j+1] // h/W
		w := int(math.Round(float64(w0) * float64(H)))
		h := int(math.Round(float64(h0) * float64(W)))
		top := [4]int{0, w, 0, w}
		left := [4]int{0, 0, h, h}
		rows := [4]int{w, H - w, w, H - w}
		cols := [4]int{h, h, W - h, W - h}
		for k := range 4 {
			if rows[k] == 0 || cols[k] == 0 {
				continue
			}
			_, _, y0, x0 := decode(b.X[(j*b.C*H+top[k])*W+left[k]])
			for y := range rows[k] {
				for x := range cols[k] {
					sj, _, sy, sx := decode(b.X[(j*b.C*H+top[k]+y)*W+left[k]+x])
					if sj != b.Src[4*j+k] || sy != y0+y || sx != x0+x {
						t.Fatalf("image %d block %d (%d,%d) came from image %d (%d,%d), want image %d (%d,%d)",
							j, k, y, x, sj, sy, sx, b.Src[4*j+k], y0+y, x0+x)
					}
				}
			}
		}
	}
}

// TestRICAPUsesFourIndependentPermutations: across a batch each part index
// k is a permutation of the batch, and the four differ.
func TestRICAPUsesFourIndependentPermutations(t *testing.T) {
	rng := newRNG(21)
	b := codedBatch(16, 1, 8, 8)
	(&RICAP{Beta: 0.3}).Mix(b, rng)
	var perms [4][]int
	for k := range 4 {
		seen := make([]bool, b.N)
		for j := range b.N {
			s := b.Src[4*j+k]
			if seen[s] {
				t.Fatalf("part %d uses image %d twice", k, s)
			}
			seen[s] = true
			perms[k] = append(perms[k], s)
		}
	}
	same := 0
	for j := range b.N {
		if perms[0][j] == perms[1][j] && perms[1][j] == perms[2][j] && perms[2][j] == perms[3][j] {
			same++
		}
	}
	if same == b.N {
		t.Errorf("the four permutations are identical")
	}
}

// TestCutMixWeightIsActualArea: the weight of the pasted source is the
// clipped box area over H*W, the rest is the image's own, pixel for pixel;
// boxes get clipped at the borders for some draws.
func TestCutMixWeightIsActualArea(t *testing.T) {
	rng := newRNG(22)
	m := &CutMix{Alpha: 1, P: 1}
	clipped := 0
	for range 200 {
		b := codedBatch(6, 3, 12, 10)
		m.Mix(b, rng)
		checkParts(t, "cutmix", b, 2, true)
		for j := range b.N {
			if b.Src[2*j] != j {
				t.Fatalf("part 0 of image %d is %d", j, b.Src[2*j])
			}
		}
		// The pasted region of image 0 is one rectangle of Weight*H*W
		// pixels. Unclipped sides are 2*(cut/2), even, so an odd side
		// shows a box clipped by a border.
		if x, y := boxSides(b); x > 0 {
			if a := float64(b.Weight[1]) * 120; math.Abs(a-float64(x*y)) > 1e-3 {
				t.Fatalf("box %dx%d but weight area %g", y, x, a)
			}
			if x%2 == 1 || y%2 == 1 {
				clipped++
			}
		}
	}
	if clipped == 0 {
		t.Errorf("no clipped box in 200 draws")
	}
}

// boxSides measures the pasted box of image 0 (pixels not from image 0).
func boxSides(b *Batch) (wx, hy int) {
	if b.Src[1] == 0 {
		return 0, 0
	}
	y0, y1, x0, x1 := b.H, -1, b.W, -1
	for y := range b.H {
		for x := range b.W {
			if j, _, _, _ := decode(b.X[y*b.W+x]); j != 0 {
				y0, y1, x0, x1 = min(y0, y), max(y1, y), min(x0, x), max(x1, x)
			}
		}
	}
	if y1 < 0 {
		return 0, 0
	}
	return x1 - x0 + 1, y1 - y0 + 1
}

// TestMixupIsConvexCombination: x_j = λ x_j + (1-λ) x_perm[j] with the
// recorded weights and sources.
func TestMixupIsConvexCombination(t *testing.T) {
	rng := newRNG(23)
	b := NewBatch(7, 3, 4, 5)
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	orig := append([]float32(nil), b.X...)
	(&Mixup{Alpha: 0.3}).Mix(b, rng)
	checkParts(t, "mixup", b, 2, false)
	n := 3 * 4 * 5
	for j := range b.N {
		if b.Src[2*j] != j {
			t.Fatalf("part 0 of %d is %d", j, b.Src[2*j])
		}
		l0, l1, p := b.Weight[2*j], b.Weight[2*j+1], b.Src[2*j+1]
		for i := range n {
			want := l0*orig[j*n+i] + l1*orig[p*n+i]
			if d := math.Abs(float64(b.X[j*n+i] - want)); d > 1e-5 {
				t.Fatalf("image %d sample %d = %v, want %v", j, i, b.X[j*n+i], want)
			}
		}
	}
}

// TestSoftTargetsSumWeights: soft targets add each part's weight to its
// source's label, so rows sum to 1.
func TestSoftTargetsSumWeights(t *testing.T) {
	b := NewBatch(2, 1, 1, 1)
	b.Label = []int{2, 0}
	b.setParts(2)
	copy(b.Src, []int{0, 1, 1, 1})
	copy(b.Weight, []float32{0.75, 0.25, 0.5, 0.5})
	dst := make([]float32, 6)
	b.SoftTargets(3, dst)
	want := []float32{0.25, 0, 0.75, 1, 0, 0}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("soft targets %v, want %v", dst, want)
		}
	}
	b.Unmix()
	b.SoftTargets(3, dst)
	if dst[2] != 1 || dst[3] != 1 || dst[0]+dst[1]+dst[4]+dst[5] != 0 {
		t.Errorf("unmixed soft targets %v, want one-hot", dst)
	}
}

// TestMixersRefuseMixedBatch: mixing twice is a programmer error.
func TestMixersRefuseMixedBatch(t *testing.T) {
	for _, m := range []Mixer{&Mixup{Alpha: 1}, &RICAP{Beta: 1}, &CutMix{Alpha: 1, P: 1}} {
		b := NewBatch(2, 1, 2, 2)
		m.Mix(b, newRNG(24))
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%T mixed an already mixed batch", m)
				}
			}()
			m.Mix(b, newRNG(24))
		}()
	}
}
