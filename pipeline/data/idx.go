package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned
// byte) and the number of dimensions.
const (
	idxLabelMagic = 0x00000801 // labels: [N]uint8
	idxImageMagic = 0x00000803 // images: [N][rows][cols]uint8
)

// ReadIDX reads an image file and a label file in the IDX format of MNIST
// and Fashion-MNIST. Each file may be gzipped or raw; gzip is detected from
// its magic bytes, not from the file name. The result has C = 1 and one
// class per label value up to the largest one seen, named "0", "1", …;
// Load replaces them with the dataset's class names.
func ReadIDX(imagesPath, labelsPath string) (*Dataset, error) {
	img, err := readFile(imagesPath)
	if err != nil {
		return nil, err
	}
	lbl, err := readFile(labelsPath)
	if err != nil {
		return nil, err
	}
	return parseIDX(imagesPath, img, labelsPath, lbl)
}

// parseIDX decodes IDX image and label files held in memory; the names are
// used in error messages only.
func parseIDX(imgName string, img []byte, lblName string, lbl []byte) (*Dataset, error) {
	idims, pix, err := decodeIDX(imgName, img, idxImageMagic)
	if err != nil {
		return nil, err
	}
	ldims, lab, err := decodeIDX(lblName, lbl, idxLabelMagic)
	if err != nil {
		return nil, err
	}
	n, h, w := idims[0], idims[1], idims[2]
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("read %q: empty image set: header says %d images of %dx%d", imgName, n, h, w)
	}
	if ldims[0] != n {
		return nil, fmt.Errorf("read %q: %d labels, but %q has %d images", lblName, ldims[0], imgName, n)
	}
	labels := make([]int, n)
	k := 0
	for i, v := range lab {
		labels[i] = int(v)
		k = max(k, int(v)+1)
	}
	return &Dataset{N: n, H: h, W: w, C: 1, Pix: pix, Labels: labels, Classes: numberedClasses(k)}, nil
}

// decodeIDX checks the magic number of one IDX file, reads its dimensions
// and returns its payload. Nothing is allocated from the header's count
// alone: a raw file's payload is the rest of b itself (no copy), and a
// gzipped file's is read into a buffer that grows as data really arrives
// (readGrowing), so a small file whose header claims gigabytes costs about
// what it holds.
func decodeIDX(name string, b []byte, magic uint32) (dims []int, payload []byte, err error) {
	r, limit, err := openStream(name, b)
	if err != nil {
		return nil, nil, err
	}
	var head [4]byte
	if err := readExact(name, "header", r, head[:]); err != nil {
		return nil, nil, err
	}
	if got := binary.BigEndian.Uint32(head[:]); got != magic {
		return nil, nil, fmt.Errorf("read %q: bad magic 0x%08x, want 0x%08x", name, got, magic)
	}
	nd := int(magic & 0xff)
	dimBytes := make([]byte, 4*nd)
	if err := readExact(name, "header", r, dimBytes); err != nil {
		return nil, nil, err
	}
	headLen := 4 + 4*nd
	avail := limit - int64(headLen)
	size := int64(1)
	dims = make([]int, nd)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		dims[i] = int(d)
		// Dividing instead of multiplying keeps the check free of overflow.
		if d > 0 && size > avail/d {
			return nil, nil, fmt.Errorf("read %q: truncated data: header declares dimensions %v, more than the %d bytes the file can hold",
				name, dimBytes2Dims(dimBytes), avail)
		}
		size *= d
	}
	if err := checkSize(name, fmt.Sprintf("data of dimensions %v", dimBytes2Dims(dimBytes)), size); err != nil {
		return nil, nil, err
	}
	if !isGzip(b) {
		// avail >= size was checked above, so only extra bytes can be wrong.
		if err := expectEOF(name, bytes.NewReader(b[int64(headLen)+size:]), headLen+int(size)); err != nil {
			return nil, nil, err
		}
		end := int64(headLen) + size
		return dims, b[headLen:end:end], nil
	}
	if payload, err = readGrowing(name, "data", r, size, len(b)); err != nil {
		return nil, nil, err
	}
	if err := expectEOF(name, r, headLen+len(payload)); err != nil {
		return nil, nil, err
	}
	return dims, payload, nil
}

// dimBytes2Dims decodes big-endian uint32 dimensions for error messages.
func dimBytes2Dims(b []byte) []uint32 {
	d := make([]uint32, len(b)/4)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return d
}
