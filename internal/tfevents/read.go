package tfevents

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// ReadFile decodes every record of an events file, checking both CRCs of each.
func ReadFile(path string) ([]Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	events, err := read(bytes.NewReader(b))
	if err != nil {
		return events, fmt.Errorf("events file %s: %w", path, err)
	}
	return events, nil
}

func read(r io.Reader) ([]Event, error) {
	var out []Event
	var off int64
	for {
		data, err := readRecord(r, off)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		e, err := decodeEvent(data)
		if err != nil {
			return out, fmt.Errorf("record at byte %d: not an Event: %w", off, err)
		}
		out = append(out, e)
		off += int64(len(data)) + 16
	}
}
