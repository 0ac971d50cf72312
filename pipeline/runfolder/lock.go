package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// LockFile is the file in a run folder whose flock a process holds for as long as it writes
// the folder (a train process, or the sweep that starts one in a cell folder). The kernel drops
// the lock when the last process holding its open file exits, however it exits.
const LockFile = ".lock"

// LockEnv names the environment variable through which a sweep hands the lock of a cell
// folder, already held, to the train process it starts (the file descriptor number of the
// inherited lock file), so that the lock stays held until that process exits, even if the
// sweep itself is killed.
const LockEnv = "BUDGETRAIN_RUN_LOCK_FD"

// ErrLocked is returned by Lock when another process holds the folder's lock.
var ErrLocked = errors.New("run folder is in use by another process")

// Holder is what the lock file records about the process that took the lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d on %s since %s", h.PID, h.Host, h.Started.Local().Format(time.DateTime))
}

// InUseError is ErrLocked with the folder and, when the lock file says, who holds it.
type InUseError struct {
	Dir    string
	Holder *Holder
}

func (e *InUseError) Error() string {
	s := fmt.Sprintf("run folder %s is in use by another process", e.Dir)
	if e.Holder != nil {
		s += " (" + e.Holder.String() + ")"
	}
	return s
}

func (e *InUseError) Unwrap() error { return ErrLocked }

// Lock is a held folder lock.
type Lock struct {
	f         *os.File
	inherited bool // handed down by a parent, which releases it
}

// File is the open lock file, to hand to a child process (exec.Cmd.ExtraFiles) with LockEnv.
func (l *Lock) File() *os.File { return l.f }

// Unlock releases the lock.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	if !l.inherited { // the parent's open file is this one: unlocking would release it for the parent too
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	}
	l.f.Close()
	l.f = nil
}

// Acquire takes dir's lock, creating dir, and records this process as its holder. A lock
// held elsewhere gives an *InUseError (errors.Is ErrLocked). A lock this process inherited
// for dir (LockEnv) is taken over instead.
func Acquire(dir string) (*Lock, error) {
	if l, err := inherited(dir); l != nil || err != nil {
		return l, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock run folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Dir: dir, Holder: ReadHolder(dir)}
		}
		return nil, fmt.Errorf("lock run folder %s: %w", dir, err)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC()})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0) // informational: a failed write leaves the lock valid
	}
	return &Lock{f: f}, nil
}

// inherited returns the lock of dir handed down through LockEnv, nil when there is none. A
// descriptor that is not dir's lock file is an error: it would protect nothing.
func inherited(dir string) (*Lock, error) {
	v := os.Getenv(LockEnv)
	if v == "" {
		return nil, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q: want the file descriptor (3 or more) of an inherited lock file", LockEnv, v)
	}
	var got, want syscall.Stat_t
	if err := syscall.Fstat(fd, &got); err != nil {
		return nil, fmt.Errorf("%s=%d: %w", LockEnv, fd, err)
	}
	if err := syscall.Stat(filepath.Join(dir, LockFile), &want); err != nil || got.Dev != want.Dev || got.Ino != want.Ino {
		return nil, fmt.Errorf("%s=%d is not the lock file of %s", LockEnv, fd, dir)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, LockFile))
	// Taking a lock that this open file already holds succeeds at once; one that it does not
	// hold (the parent let go of it) is taken or refused as usual.
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Dir: dir, Holder: ReadHolder(dir)}
		}
		return nil, fmt.Errorf("lock run folder %s: %w", dir, err)
	}
	os.Unsetenv(LockEnv) // not for this process's own children
	return &Lock{f: f, inherited: true}, nil
}

// Locked reports whether some process (this one included, through another open file) holds
// dir's lock. It never creates anything.
func Locked(dir string) bool {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// ReadHolder returns the holder recorded in dir's lock file, nil when it records none.
func ReadHolder(dir string) *Holder {
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(b, &h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}
