package tfevents

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// golden is what TensorBoard 2.21's own Python writer produces (RecordWriter around
// event_pb2.Event.SerializeToString) for: the file_version header, train/loss = 0.25 at step
// 3, and text_pb("config", "a: 1") at step 0, all at wall_time 1.5.
const golden = "1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e457665" +
	"6e743a322a28646c200000000000000029eda95009000000000000f83f10032a" +
	"130a110a0a747261696e2f6c6f7373150000803e43301b922b00000000000000" +
	"861bc34b09000000000000f83f2a200a1e0a06636f6e666967420a0807120042" +
	"04613a20314a080a060a0474657874ff9bb410"

// bitCRC32C is CRC-32C computed bit by bit (reflected polynomial 0x82F63B78), independent of
// hash/crc32's tables.
func bitCRC32C(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func bitMasked(b []byte) uint32 {
	c := bitCRC32C(b)
	return (c>>15 | c<<17) + 0xa282ead8
}

// rawRecords splits a TFRecord stream without the package's reader, checking both CRCs.
func rawRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("record at %d: %d bytes left, need a 12-byte header", off, len(b)-off)
		}
		n := int(binary.LittleEndian.Uint64(b[off:]))
		if got, want := binary.LittleEndian.Uint32(b[off+8:]), bitMasked(b[off:off+8]); got != want {
			t.Fatalf("record at %d: length CRC %#x, want %#x", off, got, want)
		}
		end := off + 12 + n + 4
		if end > len(b) {
			t.Fatalf("record at %d: length %d runs past the end (%d bytes)", off, n, len(b))
		}
		data := b[off+12 : off+12+n]
		if got, want := binary.LittleEndian.Uint32(b[end-4:]), bitMasked(data); got != want {
			t.Fatalf("record at %d: data CRC %#x, want %#x", off, got, want)
		}
		out = append(out, data)
		off = end
	}
	return out
}

func TestCRC32CKnownVector(t *testing.T) {
	// The check value of CRC-32C (RFC 3720 §B.4; the "123456789" catalogue entry).
	const want = 0xE3069283
	if got := bitCRC32C([]byte("123456789")); got != want {
		t.Fatalf("bitwise CRC-32C = %#x, want %#x", got, want)
	}
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != want {
		t.Fatalf("crc32.Castagnoli = %#x, want %#x", got, want)
	}
	for _, s := range []string{"", "a", "brain.Event:2", strings.Repeat("x", 1000)} {
		if got, want := maskedCRC([]byte(s)), bitMasked([]byte(s)); got != want {
			t.Errorf("maskedCRC(%q) = %#x, want %#x", s, got, want)
		}
	}
}

func fixedClock() time.Time { return time.Unix(1, 5e8) } // wall_time 1.5

func writeGoldenEvents(t *testing.T, path string) {
	t.Helper()
	w, err := create(path, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("train/loss", 3, 0.25); err != nil {
		t.Fatal(err)
	}
	if err := w.Text("config", 0, "a: 1"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriterMatchesTensorBoardBytes: the file equals, byte for byte, what TensorBoard's own
// writer produces for the same events, and its framing and CRCs pass an independent reader.
func TestWriterMatchesTensorBoardBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName(time.Unix(1700000000, 0), "host"))
	writeGoldenEvents(t, path)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString(golden)
	if !bytes.Equal(got, want) {
		t.Fatalf("events file differs from TensorBoard's:\n got %x\nwant %x", got, want)
	}
	recs := rawRecords(t, got)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	// The header record: wall_time (field 1, fixed64) then file_version (field 3).
	if !bytes.Equal(recs[0][:1], []byte{0x09}) || math.Float64frombits(binary.LittleEndian.Uint64(recs[0][1:9])) != 1.5 ||
		!bytes.HasSuffix(recs[0], []byte("\x1a\x0dbrain.Event:2")) {
		t.Errorf("header record %x", recs[0])
	}
}

func TestReadFileDecodesWhatWasWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev")
	writeGoldenEvents(t, path)
	events, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{WallTime: 1.5, FileVersion: FileVersion},
		{WallTime: 1.5, Step: 3, Values: []Value{{Tag: "train/loss", Kind: Scalar, Scalar: 0.25}}},
		{WallTime: 1.5, Values: []Value{{Tag: "config", Kind: Text, Text: "a: 1"}}},
	}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(events), len(want), events)
	}
	for i := range want {
		g, w := events[i], want[i]
		if g.WallTime != w.WallTime || g.Step != w.Step || g.FileVersion != w.FileVersion || len(g.Values) != len(w.Values) ||
			(len(w.Values) == 1 && g.Values[0] != w.Values[0]) {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestReadFileRejectsCorruption(t *testing.T) {
	want, _ := hex.DecodeString(golden)
	cases := map[string]func(b []byte) []byte{
		"length CRC": func(b []byte) []byte { b[8] ^= 1; return b },
		"data CRC":   func(b []byte) []byte { b[20] ^= 1; return b },
		"cut short":  func(b []byte) []byte { return b[:len(b)-3] },
	}
	for name, corrupt := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ev")
			if err := os.WriteFile(path, corrupt(bytes.Clone(want)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(path)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s", err, path)
			}
		})
	}
}

// TestOpenCutsAndContinues: Open keeps the first size bytes, drops the rest and appends after
// them; a size inside a record or beyond the file is refused without touching the file.
func TestOpenCutsAndContinues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("a", 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	cut := w.Size()
	if st, _ := os.Stat(path); st.Size() != cut {
		t.Fatalf("file has %d bytes after Flush, Size says %d", st.Size(), cut)
	}
	if err := w.Scalar("a", 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)
	for _, bad := range []int64{cut - 1, int64(len(full)) + 1} {
		if _, err := Open(path, bad); err == nil {
			t.Errorf("Open at %d bytes (records end at %d and %d) succeeded", bad, cut, len(full))
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, full) {
			t.Fatalf("a refused Open at %d changed the file", bad)
		}
	}
	w, err = Open(path, cut)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("a", 3, 3); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	for _, e := range events[1:] {
		steps = append(steps, e.Step)
	}
	if len(steps) != 2 || steps[0] != 1 || steps[1] != 3 {
		t.Fatalf("steps after resume %v, want [1 3]", steps)
	}
}

func TestFileName(t *testing.T) {
	got := FileName(time.Unix(1700000000, 0), "node7")
	if got != "events.out.tfevents.1700000000.node7" || !IsEventsFile(got) || IsEventsFile("metrics.jsonl") {
		t.Fatalf("FileName = %q", got)
	}
}
