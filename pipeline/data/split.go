package data

import (
	"fmt"
	"math/rand/v2"
)

// PCG stream identifiers, so that each use of a seed draws an independent
// sequence.
const (
	streamSplitBalanced = 0x7370_6c69_7462_616c // "splitbal"
	streamMiniImageNet  = 0x6d69_6e69_696d_6e74 // "miniimnt"
)

// SplitBalanced holds out a class-balanced validation set: perClass images
// of every class, drawn uniformly without replacement with a PCG generator
// seeded by seed (spec §4, --validation_exp: 500 per class, seed 42). A
// class with fewer than perClass images gives all of them to val. Both
// results keep d's order. Deviation: the official code draws with NumPy,
// so the same seed holds out different images.
//
// It panics if perClass < 0 or a label is outside [0, len(d.Classes)).
func SplitBalanced(d *Dataset, perClass int, seed uint64) (train, val *Dataset) {
	if perClass < 0 {
		panic(fmt.Sprintf("data: SplitBalanced perClass %d < 0", perClass))
	}
	byClass := make([][]int, len(d.Classes))
	for i, l := range d.Labels {
		if l < 0 || l >= len(byClass) {
			panic(fmt.Sprintf("data: SplitBalanced label %d at index %d out of range [0, %d)", l, i, len(byClass)))
		}
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, streamSplitBalanced))
	inVal := make([]bool, d.N)
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:min(perClass, len(idx))] {
			inVal[i] = true
		}
	}
	var trainIdx, valIdx []int
	for i, v := range inVal {
		if v {
			valIdx = append(valIdx, i)
		} else {
			trainIdx = append(trainIdx, i)
		}
	}
	return Subset(d, trainIdx), Subset(d, valIdx)
}
