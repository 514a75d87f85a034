package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// A batch of files loads in one transaction (attempt): its files are grouped by format, each
// group loads with one statement (insertGroup), what each file holds is counted, its problems
// go to load_errors, and its row to the manifest. A file found unreadable on the way fails, and
// the batch runs again without it.

// group is the files of a batch that share a format and load with one statement.
type group struct {
	format  Format
	tasks   []*task
	parquet map[string]string // Parquet column -> DuckDB type, for Parquet groups
	table   string            // the table the group's rows go into
}

// attempt loads tasks in one transaction. It commits, or rolls back and says why.
func (l *loader) attempt(ctx context.Context, tasks []*task) error {
	began := time.Now()
	tx, err := flowdb.BeginTx(ctx, l.conn)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	committed := false
	defer func() {
		if !committed {
			l.keys.Discard() // the address ids this attempt gave out were rolled back
		}
	}()

	// What an earlier load left for these files: errors, and rows a forced reload replaces.
	uris := make([]string, len(tasks))
	for i, t := range tasks {
		uris[i] = t.file.URI
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM load_errors WHERE list_contains(?::VARCHAR[], uri)`, uris); err != nil {
		return err
	}
	for _, t := range tasks {
		if t.oldID < 0 {
			continue
		}
		if isSummarized(t.oldTable) {
			if err := resummarizeHours(ctx, tx, t.oldTable, t.oldID); err != nil {
				return err
			}
		}
		if t.oldTable != "" {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE file_id = ?", quoteIdent(t.oldTable)), t.oldID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM file_interfaces WHERE file_id = ?`, t.oldID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ingested_files WHERE file_id = ?`, t.oldID); err != nil {
			return err
		}
	}

	l.clock.lap("replace")
	var flowTasks, resolverTasks []*task
	for _, t := range tasks {
		if t.format.Kind == ResolverQueries {
			resolverTasks = append(resolverTasks, t)
		} else {
			flowTasks = append(flowTasks, t)
		}
	}
	groups, err := l.group(ctx, tx, flowTasks)
	if err != nil {
		return err
	}
	id := l.nextID
	for _, t := range append(groupTasks(groups), resolverTasks...) {
		t.id = id
		t.rows, t.rejected, t.recovered, t.altered, t.suspicious, t.nodata, t.skipdata = 0, 0, 0, 0, 0, 0, 0
		t.lineLog, t.rejects = "", nil
		id++
	}
	for _, g := range groups {
		if err := l.insertGroup(ctx, tx, g); err != nil {
			return err
		}
	}
	if err := l.insertResolvers(ctx, tx, resolverTasks); err != nil {
		return err
	}
	l.clock.lap("read files")
	// What preparing the files found: lines of a Resolver log that are no record, padding
	// after the gzip stream of a file that was converted before loading.
	for _, t := range tasks {
		for _, e := range t.prepared {
			t.rejects = append(t.rejects, e)
			if e.Kind == kindRejected {
				t.rejected++
			} else {
				t.altered++
			}
		}
	}
	// A stream that could not be read to its end (corrupt or truncated gzip, a read error)
	// fails its file: what DuckDB read of it must not stay.
	var failed []*task
	for _, t := range tasks {
		if t.screenErr != nil {
			l.fail(t, t.screenErr.Error())
			t.lineLog, t.rejects = "", nil // lines of a corrupt stream say nothing about the log
			failed = append(failed, t)
		}
	}
	if len(failed) > 0 {
		return &errFileFailed{failed}
	}
	if copies := l.textCopies(tasks); len(copies) > 0 {
		return &errTextCopies{copies}
	}
	if err := l.countRows(ctx, tx, groups); err != nil {
		return err
	}
	l.clock.lap("count")
	for _, t := range tasks {
		if t.rows == 0 && t.rejected > 0 {
			if t.format.Kind == ResolverQueries {
				l.fail(t, "no line of it is a Route 53 Resolver query record")
			} else {
				l.fail(t, fmt.Sprintf("no line of it reads as a %s flow log with fields: %s", t.format.Kind, clip(t.format.String(), 120)))
			}
			failed = append(failed, t)
		}
	}
	if len(failed) > 0 {
		return &errFileFailed{failed}
	}
	if err := l.summarize(ctx, tx, tasks); err != nil {
		return err
	}
	if summarizedChange(tasks) {
		if err := noteSummaryState(ctx, tx); err != nil {
			return err
		}
	}
	for _, t := range tasks {
		var found []loadError
		if t.suspicious > 0 {
			if found, err = findSuspicious(ctx, tx, t, l.keys.invalidKeys(), boundsAt(l.start)); err != nil {
				return fmt.Errorf("%s: %w", t.file.URI, err)
			}
		}
		if err := l.writeLoadErrors(ctx, tx, append(t.rejects, found...), t.lineLog); err != nil {
			return err
		}
	}
	l.clock.lap("load errors")
	if err := l.writeManifest(ctx, tx, tasks, time.Since(began)); err != nil {
		return err
	}
	l.clock.lap("manifest")
	if err := l.keys.Save(ctx, tx); err != nil {
		return err
	}
	l.clock.lap("address keys")
	if err := tx.Commit(); err != nil {
		return err
	}
	l.clock.lap("commit")
	committed = true
	l.keys.Saved()
	for _, t := range tasks {
		if t.textHash != "" {
			l.texts[t.textHash] = t.file.URI
		}
	}
	l.nextID = id
	l.mu.Lock()
	for _, t := range tasks {
		r := &l.sum.Results[t.index]
		r.Status, r.Table = Loaded, t.format.Kind.Table()
		r.Rows, r.Rejected, r.Recovered, r.Altered, r.Suspicious = t.rows, t.rejected, t.recovered, t.altered, t.suspicious
		l.sum.Loaded++
		l.sum.Rows += t.rows
		l.sum.Rejected += t.rejected
		l.sum.Recovered += t.recovered
		l.sum.Altered += t.altered
		l.sum.Suspicious += t.suspicious
		l.sum.Bytes += t.file.Size
		l.progress.FilesDone++
		l.progress.BytesDone += t.file.Size
		l.progress.Rows += t.rows
	}
	l.mu.Unlock()
	if l.opts.Done != nil {
		for _, t := range tasks {
			l.opts.Done(l.sum.Results[t.index])
		}
	}
	l.report()
	return nil
}

// group splits tasks by format. Parquet files are grouped by their schema, read here.
func (l *loader) group(ctx context.Context, tx *sql.Tx, tasks []*task) ([]*group, error) {
	byKey := map[string]*group{}
	var order []string
	for _, t := range tasks {
		var key string
		var pq map[string]string
		if t.sn.container == containerParquet {
			cols, err := parquetSchema(ctx, tx, t.readPath)
			if err != nil {
				return nil, err
			}
			cols, fromPath := parquetFields(cols, t.file.URI)
			names := make([]string, 0, len(cols)+len(fromPath))
			for _, c := range cols {
				names = append(names, fieldName(c.name))
			}
			for _, kv := range fromPath {
				names = append(names, fieldName(kv[0]))
			}
			f, err := newFormat(names)
			if err != nil {
				return nil, &statementError{fmt.Errorf("%s: %w", t.readPath, err)}
			}
			t.format, t.header, t.fromPath = f, true, fromPath
			pq = map[string]string{}
			var sig []string
			for _, c := range cols {
				pq[c.name] = c.typ
				sig = append(sig, c.name+" "+c.typ)
			}
			for _, kv := range fromPath {
				pq[kv[0]] = pathColumn
				sig = append(sig, kv[0]+" "+pathColumn)
			}
			key = "parquet\x00" + strings.Join(sig, ",")
		} else {
			key = fmt.Sprintf("text\x00%s\x00%v\x00%v\x00%v", t.format, t.header, t.sn.gzip, t.sn.tsPrefix)
		}
		g, ok := byKey[key]
		if !ok {
			g = &group{format: t.format, parquet: pq}
			byKey[key] = g
			order = append(order, key)
		}
		g.tasks = append(g.tasks, t)
	}
	out := make([]*group, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out, nil
}

// insertGroup loads a group of files with one statement: Parquet through read_parquet, text
// through read_csv over the screened streams of its files.
func (l *loader) insertGroup(ctx context.Context, tx *sql.Tx, g *group) error {
	table, cols, err := ensureSegment(ctx, tx, g.format)
	if err != nil {
		return err
	}
	g.table = table
	for _, t := range g.tasks {
		t.table = table
	}
	if g.parquet != nil {
		paths := make([]string, len(g.tasks))
		for i, t := range g.tasks {
			paths[i] = t.readPath
		}
		q, args := insertSQL(table, cols, parquetSource(paths, g.parquet, g.tasks), l.keys.Func(), taskIDs(g.tasks))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return asStatementError(err)
		}
		return nil
	}
	if err := csvRejects.drop(ctx, tx); err != nil {
		return err
	}
	fields := g.format.Fields
	if g.tasks[0].sn.tsPrefix {
		fields = append([]Field{tsColumn}, fields...)
	}
	streams, err := startStreams(l.tmp, g.tasks, newEncoder(g.format.Kind, fields, l.keys), l.nextSeq)
	if err != nil {
		return err
	}
	pipes := make([]string, len(streams))
	for i, s := range streams {
		pipes[i] = s.pipe
		s.task.pipe = s.pipe
	}
	stopWatch := l.watchProgress(streams)
	q, args := insertSQL(table, cols, csvSource(pipes, g.format.Kind, fields), l.keys.Func(), taskIDs(g.tasks))
	_, err = tx.ExecContext(ctx, q, args...)
	stopWatch()
	finishAll(streams)
	for _, s := range streams {
		t, res := s.task, s.res
		if res == nil {
			continue
		}
		t.screenErr, t.textHash = res.err, s.textHash
		t.rejected += res.rejected
		t.recovered += res.recovered
		t.altered += res.altered
		if res.padding > 0 {
			t.altered++
			res.issues.add(paddingNote(t.file.URI, res.padding))
		}
		if t.lineLog, err = res.issues.close(); err != nil {
			return err
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return asStatementError(err)
	}
	rejects, err := l.typeRejects(ctx, tx, g, streams)
	if err != nil {
		return err
	}
	for _, e := range rejects {
		for _, t := range g.tasks {
			if t.file.URI == e.URI {
				t.rejected++
				t.rejects = append(t.rejects, e)
			}
		}
	}
	return nil
}

// groupTasks lists the tasks of groups, in order.
func groupTasks(groups []*group) []*task {
	var out []*task
	for _, g := range groups {
		out = append(out, g.tasks...)
	}
	return out
}
