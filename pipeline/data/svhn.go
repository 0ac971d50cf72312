package data

import (
	"fmt"
	"math"
)

// ReadSVHNMat reads an SVHN "cropped digits" file (train_32x32.mat,
// test_32x32.mat): a MATLAB level-5 MAT-file with X, uint8 [H,W,C,N] in
// column-major order, and y, [N,1] labels 1…10 stored as any numeric type
// (double in the official files). Label 10 denotes the digit 0 and becomes
// label 0, as in torchvision's SVHN. Both plain and zlib-compressed
// (miCOMPRESSED) variables are supported.
func ReadSVHNMat(path string) (*Dataset, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseSVHNMat(path, b)
}

// parseSVHNMat decodes an SVHN MAT-file held in memory.
func parseSVHNMat(name string, b []byte) (*Dataset, error) {
	arrays, err := parseMAT(name, b)
	if err != nil {
		return nil, err
	}
	var x, y *matArray
	for i := range arrays {
		switch arrays[i].name {
		case "X":
			x = &arrays[i]
		case "y":
			y = &arrays[i]
		}
	}
	if x == nil || y == nil {
		return nil, fmt.Errorf("read %q: want numeric variables X and y, found %v", name, matNames(arrays))
	}
	if len(x.dims) != 3 && len(x.dims) != 4 {
		return nil, fmt.Errorf("read %q: X has dimensions %v, want [H W C N]", name, x.dims)
	}
	h, w, c, n := x.dims[0], x.dims[1], x.dims[2], 1 // MATLAB drops a trailing N = 1
	if len(x.dims) == 4 {
		n = x.dims[3]
	}
	if n == 0 || h == 0 || w == 0 || c == 0 {
		return nil, fmt.Errorf("read %q: X has dimensions %v, want no zero dimension", name, x.dims)
	}
	if y.numel() != n {
		return nil, fmt.Errorf("read %q: y has %d labels (dimensions %v), but X has %d images", name, y.numel(), y.dims, n)
	}
	d := &Dataset{N: n, H: h, W: w, C: c, Pix: make([]uint8, n*h*w*c), Labels: make([]int, n),
		Classes: numberedClasses(10)}
	for i := range n {
		v := y.value(i)
		if v != math.Trunc(v) || v < 1 || v > 10 {
			return nil, fmt.Errorf("read %q: y: label %v at index %d out of range [1, 10]", name, v, i)
		}
		d.Labels[i] = int(v) % 10
	}
	src := x.data
	if x.typ != miUINT8 {
		src = make([]uint8, x.len())
		for i := range src {
			v := x.value(i)
			if v != math.Trunc(v) || v < 0 || v > 255 {
				return nil, fmt.Errorf("read %q: X: value %v at index %d out of range [0, 255]", name, v, i)
			}
			src[i] = uint8(v)
		}
	}
	// Column-major X(r, col, ch, i) is at r + h*(col + w*(ch + c*i)); walk
	// the source sequentially and scatter into HWC.
	s := 0
	for i := range n {
		img := d.Pix[i*h*w*c : (i+1)*h*w*c]
		for ch := range c {
			for col := range w {
				for r := range h {
					img[(r*w+col)*c+ch] = src[s]
					s++
				}
			}
		}
	}
	return d, nil
}

// matNames lists variable names for error messages.
func matNames(arrays []matArray) []string {
	names := make([]string, len(arrays))
	for i, a := range arrays {
		names[i] = a.name
	}
	return names
}
