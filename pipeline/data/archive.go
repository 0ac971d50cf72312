package data

import "slices"

// Archive is one file of a dataset's official distribution (Info.Archives),
// as fetched by Download. Files whose name ends in .tar.gz or .tgz are unpacked into the
// dataset directory after verification; the others are used as they are.
type Archive struct {
	URL  string
	File string // name to save as, inside the dataset directory
	// Size is the file's length in bytes as reported by others who
	// downloaded it, or 0 if unknown. It is shown (data list), used as the
	// progress total when a server sends no length, and bounds what
	// Download accepts (MaxDownloadSize: Size plus a tolerance), so that a
	// wrong or malicious server cannot fill the disk; whether a file is
	// accepted is decided by the checksum.
	Size   int64
	SHA256 string // hex; empty: unknown
	MD5    string // hex, as published by the dataset authors; empty: unknown
}

// Archives returns the distribution files of a dataset (a copy; the
// record's Archives), or nil if none are known.
func Archives(name string) []Archive {
	if r, ok := find(name); ok {
		return slices.Clone(r.Archives)
	}
	return nil
}

// DownloadNames returns the names of the datasets that have archives, that
// is that Download can fetch, sorted.
func DownloadNames() []string {
	var names []string
	for _, n := range Names() {
		if len(Archives(n)) > 0 {
			names = append(names, n)
		}
	}
	return names
}
