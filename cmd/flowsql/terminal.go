package main

import (
	"bytes"
	"os"
	"regexp"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// The line editor asks the terminal where its cursor is before every prompt (a DSR query) and
// waits for the answer. A terminal that never answers (script(1) fed from a pipe, an editor's
// shell buffer) would leave the shell waiting after its banner, typed input unread. So the
// shell asks once itself, briefly, and without an answer reads lines without the editor.

// cursorReport is a terminal's answer to a DSR query: ESC [ row ; column R.
var cursorReport = regexp.MustCompile(`\x1b\[\d+;\d+R`)

// dsrWait is how long the shell waits for a terminal's answer; terminals answer in
// milliseconds.
const dsrWait = 300 * time.Millisecond

// probeTerminal asks the terminal on in and out for its cursor position and reports whether it
// answered. typed is what arrived on in meanwhile that is not the answer: input typed (or piped)
// ahead of the prompt, which the shell must read first.
func probeTerminal(in, out *os.File) (answered bool, typed []byte) {
	state, err := term.MakeRaw(int(in.Fd()))
	if err != nil {
		return false, nil
	}
	defer term.Restore(int(in.Fd()), state)
	if _, err := out.Write([]byte("\x1b[6n")); err != nil {
		return false, nil
	}
	deadline := time.Now().Add(dsrWait)
	buf := make([]byte, 4096)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, typed
		}
		fds := []unix.PollFd{{Fd: int32(in.Fd()), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return false, typed
		}
		m, err := in.Read(buf)
		if m > 0 {
			typed = append(typed, buf[:m]...)
			if loc := cursorReport.FindIndex(typed); loc != nil {
				return true, append(typed[:loc[0]:loc[0]], typed[loc[1]:]...)
			}
		}
		if err != nil {
			return false, typed
		}
	}
}

// rawInput turns input typed in raw mode back into what cooked mode would have delivered:
// carriage returns become newlines.
func rawInput(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), []byte("\n")) }
