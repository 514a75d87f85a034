package ingest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A File is one flow-log file to load.
type File struct {
	// URI names the file in the ingested_files manifest: an absolute local path or an
	// s3://bucket/key URI. Loading the same URI twice loads it once.
	URI string
	// Path is where the file can be read now. For local files it is the file itself; for
	// objects it is set by Options.Fetch before the file's batch loads.
	Path    string
	Size    int64
	ModTime time.Time
	ETag    string
}

// Extensions that a directory walk picks up. Files named on the command line load whatever
// their name, as their content decides their format.
var walkExtensions = []string{".log.gz", ".log", ".gz", ".parquet", ".json", ".json.gz", ".txt"}

// HasFlowLogExtension reports whether a file name has an extension that flowsql loads when it
// walks a directory or an S3 prefix.
func HasFlowLogExtension(name string) bool {
	for _, ext := range walkExtensions {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// LocalFiles expands command-line paths into the files to load: files as named, directories
// walked recursively (picking flow-log extensions, skipping hidden entries, following symbolic
// links to files and directories), and glob patterns. Each file appears once, in path order
// within each argument. Only regular files load: a named pipe, a device or a socket, named or
// found, is an error that names it (reading a pipe would wait forever).
func LocalFiles(paths []string) ([]File, error) {
	var out []File
	seen := map[string]bool{}
	add := func(p string, info fs.FileInfo) error {
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s is %s, not a regular file: flowsql loads files (copy the logs into one, or leave it out)", p, fileKind(info.Mode()))
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		out = append(out, File{URI: abs, Path: abs, Size: info.Size(), ModTime: info.ModTime().UTC().Truncate(time.Microsecond)})
		return nil
	}
	for _, arg := range paths {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %w", arg, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no file matches", arg)
			}
			matches = m
		}
		for _, p := range matches {
			info, err := os.Stat(p) // follows a link, as a named file's reader would
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
			}
			if !info.IsDir() {
				if err := add(p, info); err != nil {
					return nil, err
				}
				continue
			}
			found, err := walkFlowLogs(p, map[string]bool{})
			if err != nil {
				return nil, err
			}
			for _, q := range found {
				info, err := os.Stat(q)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", q, unwrapPathError(err))
				}
				if err := add(q, info); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// walkFlowLogs lists the flow-log files under a directory, in path order, following symbolic
// links (visited holds the directories already walked, so that a link loop ends).
func walkFlowLogs(dir string, visited map[string]bool) ([]string, error) {
	dir = filepath.Clean(dir) // "AWSLogs/", as a shell completes it, names the walk's root as WalkDir does
	real, err := realDir(dir)
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", dir, unwrapPathError(err))
	}
	if visited[real] {
		return nil, nil
	}
	visited[real] = true
	var found []string
	// WalkDir does not descend a root that is a link: walk where it points, and name what is
	// found under the link.
	err = filepath.WalkDir(real, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		q = filepath.Join(dir, strings.TrimPrefix(q, real))
		if q != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			if q != dir {
				if r, err := realDir(q); err == nil && visited[r] {
					return filepath.SkipDir
				} else if err == nil {
					visited[r] = true
				}
			}
		case d.Type()&fs.ModeSymlink != 0:
			info, err := os.Stat(q)
			if err != nil {
				return nil // a dangling link: nothing to read
			}
			if info.IsDir() {
				more, err := walkFlowLogs(q, visited)
				found = append(found, more...)
				return err
			}
			if HasFlowLogExtension(d.Name()) {
				found = append(found, q)
			}
		case HasFlowLogExtension(d.Name()):
			found = append(found, q) // LocalFiles refuses what is not a regular file
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", dir, err)
	}
	slices.Sort(found)
	return found, nil
}

// realDir is the absolute path a directory resolves to, links followed: the same for every
// spelling of it, so that a walk enters it once.
func realDir(dir string) (string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// fileKind names a file type that is not a regular file.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// unwrapPathError drops the operation and path that *fs.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
