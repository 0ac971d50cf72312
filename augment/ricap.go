package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RICAP is random image cropping and patching (Takahashi et al. 2018,
// "RICAP: Random Image Cropping and Patching Data Augmentation for Deep
// CNNs", ACML) exactly as the paper's code does it (spec §3.3), with
// I_x = H (rows) and I_y = W (columns):
//
//   - w = round(H * Beta(β, β)), h = round(W * Beta(β, β)), two draws,
//     rounded half to even as np.round does;
//   - patch k has w_k = [w, H-w, w, H-w] rows and h_k = [h, h, W-h, W-h]
//     columns;
//   - for k = 0..3: an independent permutation π_k and one offset
//     x_k ~ U{0..H-w_k}, y_k ~ U{0..W-h_k} shared by the batch; output image
//     j takes rows x_k.. and columns y_k.. of image π_k[j];
//   - patches 0 and 1 are stacked in the left block (columns 0..h-1),
//     patches 2 and 3 in the right block, 0 and 2 on top (rows 0..w-1);
//   - part k of image j is (π_k[j], w_k*h_k/(H*W)); empty patches get 0.
//
// Policy token: ricap-a{alpha} with alpha = β (paper β = 0.3).
type RICAP struct {
	Beta float64
	s    mixScratch
}

// Mix implements Mixer.
func (m *RICAP) Mix(b *Batch, rng *rand.Rand) {
	checkUnmixed(b)
	H, W := b.H, b.W
	w := int(math.RoundToEven(float64(H) * Beta(rng, m.Beta, m.Beta)))
	h := int(math.RoundToEven(float64(W) * Beta(rng, m.Beta, m.Beta)))
	rows := [4]int{w, H - w, w, H - w}
	cols := [4]int{h, h, W - h, W - h}
	top := [4]int{0, w, 0, w}
	left := [4]int{0, 0, h, h}
	var perms [4][]int
	var offY, offX [4]int
	for k := range 4 {
		perms[k] = m.s.perm(k, b.N, rng)
		offY[k] = rng.IntN(H - rows[k] + 1)
		offX[k] = rng.IntN(W - cols[k] + 1)
	}
	src := m.s.snapshot(b)
	n := b.C * H * W
	for j := range b.N {
		for k := range 4 {
			s := perms[k][j]
			for c := range b.C {
				for r := range rows[k] {
					out := j*n + c*H*W + (top[k]+r)*W + left[k]
					in := s*n + c*H*W + (offY[k]+r)*W + offX[k]
					copy(b.X[out:out+cols[k]], src[in:in+cols[k]])
				}
			}
		}
	}
	b.setParts(4)
	for j := range b.N {
		for k := range 4 {
			b.Src[4*j+k] = perms[k][j]
			b.Weight[4*j+k] = float32(float64(rows[k]*cols[k]) / float64(H*W))
		}
	}
}

func (m *RICAP) String() string { return fmt.Sprintf("ricap(beta=%g)", m.Beta) }
