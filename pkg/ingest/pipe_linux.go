package ingest

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the capacity a stream asks for its pipe: Linux's largest for a user without
// privileges (/proc/sys/fs/pipe-max-size). With the default 64 KiB, the screen's every 256 KiB
// write was four turns of writer and reader through the kernel; with 1 MiB the files of 30M
// records were read in 21.5-22.3 s instead of 22.1-22.7 s, with less time in the kernel (three
// pairs, alternating).
const pipeSize = 1 << 20

// growPipe asks for a larger pipe behind w, a stream's write end. A refusal (a user's pipes
// past /proc/sys/fs/pipe-user-pages-soft) leaves the pipe as it is: only slower.
func growPipe(w *os.File) {
	if rc, err := w.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) })
	}
}
