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
// walked recursively (picking flow-log extensions, skipping hidden entries), and glob
// patterns. Each file appears once, in path order within each argument.
func LocalFiles(paths []string) ([]File, error) {
	var out []File
	seen := map[string]bool{}
	add := func(p string, info fs.FileInfo) error {
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
			info, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
			}
			if !info.IsDir() {
				if err := add(p, info); err != nil {
					return nil, err
				}
				continue
			}
			var found []string
			err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if q != p && strings.HasPrefix(d.Name(), ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.IsDir() && d.Type().IsRegular() && HasFlowLogExtension(d.Name()) {
					found = append(found, q)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("walk %s: %w", p, err)
			}
			slices.Sort(found)
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

// unwrapPathError drops the operation and path that *fs.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
