package runfolder

import "strings"

// PlainName reports whether s can name a run folder inside another folder (a train --name, a
// sweep cell): not empty, not "." or "..", without a path separator or NUL.
func PlainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00")
}
