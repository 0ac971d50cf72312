package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// MATLAB level-5 MAT-file data types (element tags) and array classes, from
// the MAT-file format reference. Only what SVHN needs is decoded: numeric
// arrays, stored plainly or inside miCOMPRESSED (zlib) elements.
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15

	mxDOUBLE = 6 // first numeric array class
	mxUINT64 = 15

	matHeaderLen  = 128
	matComplexBit = 0x0800
)

// matArray is one numeric variable of a MAT-file. data holds the real part
// exactly as stored, in typ's encoding and the file's byte order.
type matArray struct {
	name  string
	class uint32
	dims  []int
	typ   uint32
	data  []byte
	order binary.ByteOrder
}

// numel returns the number of elements, the product of dims.
func (a *matArray) numel() int {
	n := 1
	for _, d := range a.dims {
		n *= d
	}
	return n
}

// matElemSize is the byte size of one value of each numeric storage type.
var matElemSize = map[uint32]int{
	miINT8: 1, miUINT8: 1, miINT16: 2, miUINT16: 2, miINT32: 4, miUINT32: 4,
	miSINGLE: 4, miDOUBLE: 8, miINT64: 8, miUINT64: 8,
}

// len returns the number of values stored.
func (a *matArray) len() int { return len(a.data) / matElemSize[a.typ] }

// value returns the i-th stored value as a float64. Converting one value at
// a time, rather than the whole array, keeps a variable stored as bytes
// from costing eight times its size in memory.
func (a *matArray) value(i int) float64 {
	o := a.order
	b := a.data[i*matElemSize[a.typ]:]
	switch a.typ {
	case miINT8:
		return float64(int8(b[0]))
	case miUINT8:
		return float64(b[0])
	case miINT16:
		return float64(int16(o.Uint16(b)))
	case miUINT16:
		return float64(o.Uint16(b))
	case miINT32:
		return float64(int32(o.Uint32(b)))
	case miUINT32:
		return float64(o.Uint32(b))
	case miSINGLE:
		return float64(math.Float32frombits(o.Uint32(b)))
	case miDOUBLE:
		return math.Float64frombits(o.Uint64(b))
	case miINT64:
		return float64(int64(o.Uint64(b)))
	case miUINT64:
		return float64(o.Uint64(b))
	}
	panic(fmt.Sprintf("data: matArray.value: storage type %d", a.typ))
}

// parseMAT decodes the numeric variables of a level-5 MAT-file (MATLAB
// -v6/-v7; not -v7.3, which is HDF5). Non-numeric variables (cell, struct,
// char, sparse, object) and complex arrays are skipped.
func parseMAT(name string, b []byte) ([]matArray, error) {
	if len(b) < matHeaderLen {
		return nil, fmt.Errorf("read %q: truncated header: got %d bytes, want %d", name, len(b), matHeaderLen)
	}
	if !bytes.HasPrefix(b, []byte("MATLAB")) {
		return nil, fmt.Errorf("read %q: bad magic %q, want a MAT-file header starting with \"MATLAB\"", name, b[:6])
	}
	var order binary.ByteOrder
	switch string(b[126:128]) {
	case "IM":
		order = binary.LittleEndian
	case "MI":
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("read %q: bad endian indicator %q, want \"IM\" or \"MI\"", name, b[126:128])
	}
	if v := order.Uint16(b[124:]); v != 0x0100 {
		return nil, fmt.Errorf("read %q: unsupported MAT-file version 0x%04x, want 0x0100 (level 5; save with -v7, not -v7.3)", name, v)
	}
	p := matParser{name: name, order: order}
	if err := p.elements(b[matHeaderLen:], true); err != nil {
		return nil, err
	}
	return p.arrays, nil
}

type matParser struct {
	name     string
	order    binary.ByteOrder
	arrays   []matArray
	inflated int64 // bytes of compressed elements inflated so far
}

// tag decodes the element tag at the start of b and returns the element
// type, its data and the offset of the next element. Small data elements
// pack type and size into the first four bytes. Elements are padded to
// 8 bytes, except miCOMPRESSED ones at top level.
func (p *matParser) tag(b []byte) (typ uint32, data []byte, next int, err error) {
	if len(b) < 8 {
		return 0, nil, 0, fmt.Errorf("read %q: truncated element tag: got %d bytes, want 8", p.name, len(b))
	}
	first := p.order.Uint32(b)
	if first>>16 != 0 {
		typ, n := first&0xffff, int(first>>16)
		if n > 4 {
			return 0, nil, 0, fmt.Errorf("read %q: bad small element: %d bytes, want at most 4", p.name, n)
		}
		return typ, b[4 : 4+n], 8, nil
	}
	typ, n := first, int64(p.order.Uint32(b[4:]))
	if n > int64(len(b)-8) {
		return 0, nil, 0, fmt.Errorf("read %q: truncated element of type %d: %d bytes declared, %d left", p.name, typ, n, len(b)-8)
	}
	next = 8 + int(n)
	if typ != miCOMPRESSED {
		next = min(8+int((n+7)/8*8), len(b))
	}
	return typ, b[8 : 8+n], next, nil
}

// elements decodes a sequence of top-level elements.
func (p *matParser) elements(b []byte, top bool) error {
	for len(b) > 0 {
		if len(b) < 8 && !slices.ContainsFunc(b, func(c byte) bool { return c != 0 }) {
			return nil // zero padding after an unpadded compressed element
		}
		typ, data, next, err := p.tag(b)
		if err != nil {
			return err
		}
		switch {
		case typ == miMATRIX:
			if err := p.matrix(data); err != nil {
				return err
			}
		case typ == miCOMPRESSED && top:
			if err := p.compressed(data); err != nil {
				return err
			}
		}
		b = b[next:]
	}
	return nil
}

// compressed inflates one miCOMPRESSED element, which holds one element
// (normally an miMATRIX), into a buffer that grows as data really arrives
// (readGrowing), never past the size its inner tag declares, so a small
// element that declares gigabytes never gets them allocated.
func (p *matParser) compressed(data []byte) error {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("read %q: compressed element: %w", p.name, err)
	}
	var head [8]byte
	if err := readExact(p.name, "compressed element", zr, head[:]); err != nil {
		return err
	}
	n := int64(p.order.Uint32(head[4:]))
	if p.order.Uint32(head[:])>>16 != 0 {
		n = 0 // a small element: all its data is in the tag
	}
	if n > maxInflated(len(data)) {
		return fmt.Errorf("read %q: compressed element declares %d bytes, more than %d compressed bytes can hold", p.name, n, len(data))
	}
	p.inflated += 8 + n
	if err := checkSize(p.name, "decompressed variables", p.inflated); err != nil {
		return err
	}
	buf, err := readGrowing(p.name, "compressed element", io.MultiReader(bytes.NewReader(head[:]), zr), 8+n, len(data))
	if err != nil {
		return err
	}
	// Read to the end of the stream (at most the padding) so that zlib
	// verifies its checksum.
	if _, err := io.CopyN(io.Discard, zr, 8); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %q: compressed element: %w", p.name, err)
	}
	return p.elements(buf, false)
}

// matrix decodes an miMATRIX element: array flags, dimensions, name and, for
// real numeric classes, the real part.
func (p *matParser) matrix(b []byte) error {
	if len(b) == 0 {
		return nil // an empty placeholder matrix
	}
	typ, flags, next, err := p.tag(b)
	if err != nil {
		return err
	}
	if typ != miUINT32 || len(flags) != 8 {
		return fmt.Errorf("read %q: bad array flags: type %d with %d bytes, want type %d with 8", p.name, typ, len(flags), miUINT32)
	}
	f := p.order.Uint32(flags)
	class := f & 0xff
	b = b[next:]
	typ, dimBytes, next, err := p.tag(b)
	if err != nil {
		return err
	}
	if typ != miINT32 || len(dimBytes) < 8 || len(dimBytes)%4 != 0 {
		return fmt.Errorf("read %q: bad dimensions: type %d with %d bytes, want type %d with a multiple of 4 bytes, at least 8", p.name, typ, len(dimBytes), miINT32)
	}
	b = b[next:]
	typ, nameBytes, next, err := p.tag(b)
	if err != nil {
		return err
	}
	if typ != miINT8 {
		return fmt.Errorf("read %q: bad array name: type %d, want %d", p.name, typ, miINT8)
	}
	b = b[next:]
	if class < mxDOUBLE || class > mxUINT64 || f&matComplexBit != 0 {
		return nil // not a real numeric array: skip it
	}
	a := matArray{name: string(nameBytes), class: class, order: p.order}
	zero := false
	for i := 0; i < len(dimBytes); i += 4 {
		d := int(int32(p.order.Uint32(dimBytes[i:])))
		if d < 0 {
			return fmt.Errorf("read %q: variable %q: negative dimension %d", p.name, a.name, d)
		}
		zero = zero || d == 0
		a.dims = append(a.dims, d)
	}
	numel := int64(0)
	if !zero {
		// Each value takes at least one byte, so bounding the product by
		// the bytes left keeps it from overflowing.
		numel = 1
		for _, d := range a.dims {
			if numel > int64(len(b))/int64(d) {
				return fmt.Errorf("read %q: variable %q: truncated data: dimensions %v need more than the %d bytes left", p.name, a.name, a.dims, len(b))
			}
			numel *= int64(d)
		}
	}
	typ, data, _, err := p.tag(b)
	if err != nil {
		return fmt.Errorf("%w (variable %q)", err, a.name)
	}
	size, ok := matElemSize[typ]
	if !ok {
		return fmt.Errorf("read %q: variable %q: unsupported storage type %d", p.name, a.name, typ)
	}
	if int64(len(data)) != numel*int64(size) {
		return fmt.Errorf("read %q: variable %q: wrong size: %d bytes of type %d, want %d values for dimensions %v",
			p.name, a.name, len(data), typ, numel, a.dims)
	}
	a.typ, a.data = typ, data
	p.arrays = append(p.arrays, a)
	return nil
}
