package gen

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"math"
)

// IDXImages encodes n images of h×w bytes as an IDX3 file (magic 0x00000803).
func IDXImages(n, h, w int, pix []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0x00000803)
	for _, d := range []int{n, h, w} {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, pix...)
}

// IDXLabels encodes labels as an IDX1 file (magic 0x00000801).
func IDXLabels(labels []int) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0x00000801)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	for _, l := range labels {
		b = append(b, byte(l))
	}
	return b
}

// Gzip compresses b with a zero header (no name, no time), so the output
// depends only on b and the compress/flate implementation.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// CIFAR encodes 32×32×3 HWC images as CIFAR binary records: the label
// bytes of each record (one for CIFAR-10, coarse and fine for CIFAR-100)
// followed by the R, G and B planes.
func CIFAR(labels [][]byte, pix []byte) []byte {
	const plane = 32 * 32
	var b []byte
	for i, l := range labels {
		b = append(b, l...)
		img := pix[i*3*plane : (i+1)*3*plane]
		for c := range 3 {
			for p := range plane {
				b = append(b, img[3*p+c])
			}
		}
	}
	return b
}

// MAT-file constants (see package data for their meaning).
const (
	MiINT8       = 1
	MiUINT8      = 2
	MiINT32      = 5
	MiUINT32     = 6
	MiDOUBLE     = 9
	MiMATRIX     = 14
	MiCOMPRESSED = 15
	MxCELL       = 1
	MxDOUBLE     = 6
	MxUINT8      = 9
)

// MatVar is one variable to write: a numeric array of class Class whose
// real part is Data, already encoded in storage type Type.
type MatVar struct {
	Name  string
	Class uint32
	Dims  []int
	Type  uint32
	Data  []byte
}

// MAT encodes variables as a MATLAB level-5 MAT-file in byte order o,
// wrapping each variable in a zlib miCOMPRESSED element if compress is set
// (as MATLAB's default -v7 does).
func MAT(o binary.AppendByteOrder, compress bool, vars ...MatVar) []byte {
	head := []byte("MATLAB 5.0 MAT-file, written by budgetrain's fixture generator")
	for len(head) < 116 {
		head = append(head, ' ')
	}
	head = append(head, make([]byte, 8)...) // subsystem data offset: none
	head = o.AppendUint16(head, 0x0100)
	head = o.AppendUint16(head, 'M'<<8|'I') // reads back as "IM" or "MI"
	b := head
	for _, v := range vars {
		m := matrix(o, v)
		if !compress {
			b = append(b, m...)
			continue
		}
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
		zw.Write(m)
		zw.Close()
		b = o.AppendUint32(b, MiCOMPRESSED)
		b = o.AppendUint32(b, uint32(z.Len()))
		b = append(b, z.Bytes()...) // compressed elements are not padded
	}
	return b
}

// matrix encodes one miMATRIX element.
func matrix(o binary.AppendByteOrder, v MatVar) []byte {
	flags := o.AppendUint32(nil, v.Class)
	flags = o.AppendUint32(flags, 0)
	var dims []byte
	for _, d := range v.Dims {
		dims = o.AppendUint32(dims, uint32(d))
	}
	body := element(o, MiUINT32, flags)
	body = append(body, element(o, MiINT32, dims)...)
	body = append(body, element(o, MiINT8, []byte(v.Name))...)
	body = append(body, element(o, v.Type, v.Data)...)
	return element(o, MiMATRIX, body)
}

// element encodes a data element, in the 8-byte small format when the data
// fits in 4 bytes, padded to a multiple of 8 bytes.
func element(o binary.AppendByteOrder, typ uint32, data []byte) []byte {
	if len(data) <= 4 && len(data) > 0 && typ != MiMATRIX {
		b := o.AppendUint32(nil, uint32(len(data))<<16|typ)
		b = append(b, data...)
		return append(b, make([]byte, 4-len(data))...)
	}
	b := o.AppendUint32(nil, typ)
	b = o.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	return append(b, make([]byte, (8-len(data)%8)%8)...)
}

// SVHN encodes images (HWC, c channels) as SVHN's X [h,w,c,n] uint8 in
// column-major order and labels as y [n,1] of class double, stored as
// yType (MiDOUBLE or MiUINT8; MATLAB may store integral doubles in a
// smaller type). labels are SVHN's 1…10.
func SVHN(o binary.AppendByteOrder, compress bool, n, h, w, c int, pix []byte, labels []int, yType uint32) []byte {
	x := make([]byte, 0, len(pix))
	for i := range n {
		for ch := range c {
			for col := range w {
				for r := range h {
					x = append(x, pix[((i*h+r)*w+col)*c+ch])
				}
			}
		}
	}
	var y []byte
	for _, l := range labels {
		switch yType {
		case MiDOUBLE:
			y = o.AppendUint64(y, math.Float64bits(float64(l)))
		default:
			y = append(y, byte(l))
		}
	}
	return MAT(o, compress,
		MatVar{Name: "X", Class: MxUINT8, Dims: []int{h, w, c, n}, Type: MiUINT8, Data: x},
		MatVar{Name: "y", Class: MxDOUBLE, Dims: []int{n, 1}, Type: yType, Data: y})
}
