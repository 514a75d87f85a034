package ingest

import (
	"encoding/hex"
	"fmt"

	"github.com/zeebo/xxh3"
)

// A file whose records are loaded already must not load again under another name: its
// records would count twice. Two identities find such copies:
//
//   - the SHA-256 of the file's bytes (content_sha256), known before the file loads, finds
//     copies and renamed files (skipCopies);
//   - the XXH3-128 of its text (text_hash), what DuckDB reads of it: a text file's lines after
//     gunzip, a JSON or Resolver log as converted. It finds the same records compressed
//     otherwise or not at all: a .log beside the .log.gz it was gunzipped from, a file
//     compressed again. A gzip file's text is known only once the screen has read it, so
//     these copies are found after the batch's statement and the batch runs again without
//     them (textCopies).

// hashText is the text_hash of what h was given.
func hashText(h *xxh3.Hasher128) string {
	b := h.Sum128().Bytes()
	return hex.EncodeToString(b[:])
}

// textCopy is a task whose text is that of another file.
type textCopy struct {
	task *task
	of   string // the URI of the file loaded with the same text
}

// errTextCopies ends an attempt that loaded files whose text is loaded already.
type errTextCopies struct{ copies []textCopy }

func (e *errTextCopies) Error() string {
	return fmt.Sprintf("%d files hold records already loaded", len(e.copies))
}

// textCopies finds the tasks whose text is that of a file loaded before under another name,
// or of a task before them in the batch.
func (l *loader) textCopies(tasks []*task) []textCopy {
	batch := map[string]string{}
	var out []textCopy
	for _, t := range tasks {
		if t.textHash == "" {
			continue
		}
		if uri, ok := l.texts[t.textHash]; ok && uri != t.file.URI {
			out = append(out, textCopy{t, uri})
			continue
		}
		if uri, ok := batch[t.textHash]; ok {
			out = append(out, textCopy{t, uri})
			continue
		}
		batch[t.textHash] = t.file.URI
	}
	return out
}

// skipCopy counts a task as skipped, a copy of the file loaded at uri.
func (l *loader) skipCopy(t *task, uri, note string) {
	r := &l.sum.Results[t.index]
	r.Status, r.CopyOf, r.Note = Skipped, uri, note
	l.sum.Skipped++
	l.sum.Copies++
}
