package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is TFRecord's masked CRC-32C of b. The mask keeps a CRC of data that itself
// holds CRCs from being trivially zero (tensorflow/core/lib/hash/crc32c.h).
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// appendRecord appends data framed as one TFRecord to b.
func appendRecord(b, data []byte) []byte {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	b = append(b, n[:]...)
	b = binary.LittleEndian.AppendUint32(b, maskedCRC(n[:]))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, maskedCRC(data))
}

// maxRecord bounds a record's length so that a corrupt length field cannot ask for an
// absurd allocation; this package writes records of a few kilobytes.
const maxRecord = 1 << 28

// errTruncated marks a record cut short: the file ends inside it.
var errTruncated = errors.New("file ends inside a record")

// readRecord reads one TFRecord from r at byte offset off (for messages). It returns io.EOF at a
// clean end of file.
func readRecord(r io.Reader, off int64) ([]byte, error) {
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("record at byte %d: %w", off, errTruncated)
	}
	if got, want := binary.LittleEndian.Uint32(head[8:]), maskedCRC(head[:8]); got != want {
		return nil, fmt.Errorf("record at byte %d: length CRC %#08x, want %#08x", off, got, want)
	}
	n := binary.LittleEndian.Uint64(head[:8])
	if n > maxRecord {
		return nil, fmt.Errorf("record at byte %d: length %d exceeds %d", off, n, maxRecord)
	}
	data := make([]byte, n+4)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("record at byte %d: %w", off, errTruncated)
	}
	if got, want := binary.LittleEndian.Uint32(data[n:]), maskedCRC(data[:n]); got != want {
		return nil, fmt.Errorf("record at byte %d: data CRC %#08x, want %#08x", off, got, want)
	}
	return data[:n], nil
}
