package ingest

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/valyala/fastjson"
)

// Route 53 Resolver query logs name the destinations that flow logs give only as addresses:
// AWS delivers them to S3 (or CloudWatch Logs) as JSON lines, one DNS query a line:
//
//	{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-...",
//	 "query_timestamp":"2024-06-01T00:00:05Z","query_name":"registry-1.docker.io.","query_type":"A",
//	 "query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"54.1.2.3","Type":"A","Class":"IN"}],
//	 "srcaddr":"10.0.2.34","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0abc..."}}
//
// flowsql recognises them by content and loads them into dns_queries, one row per address
// answered (A and AAAA records; a query without one has one row, its answer NULL), with the
// source and each answer also as address keys, to join with the flows.

// ResolverTable is the table Route 53 Resolver query logs load into.
const ResolverTable = "dns_queries"

// resolverQuery is one line of a Resolver query log.
type resolverQuery struct {
	AccountID      string          `json:"account_id"`
	Region         string          `json:"region"`
	VPCID          string          `json:"vpc_id"`
	QueryTimestamp string          `json:"query_timestamp"`
	QueryName      string          `json:"query_name"`
	QueryType      string          `json:"query_type"`
	Rcode          string          `json:"rcode"`
	Answers        []resolverRR    `json:"answers"`
	Srcaddr        string          `json:"srcaddr"`
	Srcport        json.RawMessage `json:"srcport"`
	Transport      string          `json:"transport"`
	Srcids         struct {
		Instance string `json:"instance"`
	} `json:"srcids"`
}

type resolverRR struct {
	Rdata string `json:"Rdata"`
	Type  string `json:"Type"`
}

// isResolverLine reports whether a line is a Route 53 Resolver query log record.
func isResolverLine(line string) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal([]byte(line), &probe) != nil {
		return false
	}
	_, name := probe["query_name"]
	_, ts := probe["query_timestamp"]
	return name && ts
}

// resolverLog reports whether a file whose first line is given is a Route 53 Resolver query
// log: its records a line each, or (envelopes) CloudWatch Logs subscription envelopes, as
// Firehose delivers a log group's events, whose first event is a record.
func resolverLog(firstLine string) (ok, envelopes bool) {
	if isResolverLine(firstLine) {
		return true, false
	}
	var env struct {
		LogEvents []struct {
			Message string `json:"message"`
		} `json:"logEvents"`
	}
	ok = json.Unmarshal([]byte(firstLine), &env) == nil && len(env.LogEvents) > 0 && isResolverLine(env.LogEvents[0].Message)
	return ok, ok
}

// resolverColumns are the columns of the tab-separated rows convertResolver writes, as
// read_csv reads them.
const resolverColumns = `{'query_time': 'TIMESTAMP', 'account_id': 'VARCHAR', 'region': 'VARCHAR', 'vpc_id': 'VARCHAR',
    'srcaddr': 'VARCHAR', 'srcport': 'INTEGER', 'instance_id': 'VARCHAR', 'query_name': 'VARCHAR', 'query_type': 'VARCHAR',
    'rcode': 'VARCHAR', 'answer': 'VARCHAR', 'answer_type': 'VARCHAR', 'transport': 'VARCHAR',
    'src_key': 'BIGINT', 'answer_key': 'BIGINT'}`

// convertResolver rewrites a Resolver query log as tab-separated rows, one per answered
// address. A line that is not a query record (not JSON, no timestamp or name, longer than the
// screen's bound on a line) is not loaded: it comes back as a rejected line, with its number
// and why.
func convertResolver(path, uri string, gz bool, out io.Writer) (rejects []loadError, padding int64, err error) {
	r, f, err := openRecords(path, gz)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(out)
	note := func(kind string, n int64, line []byte, why string) {
		rejects = append(rejects, loadError{URI: uri, Line: n, Raw: clipRaw(line), Reason: why, Kind: kind})
	}
	lr := newLineReader(r)
	for lr.next() {
		line := bytes.TrimSpace(bytes.TrimPrefix(lr.line, bom))
		switch {
		case lr.long:
			note(kindRejected, lr.n, line, fmt.Sprintf("longer than %d bytes: not a Resolver query record", maxLine))
			continue
		case len(line) == 0:
			continue
		}
		var q resolverQuery
		if err := decodeResolverLine(line, &q); err != nil {
			note(kindRejected, lr.n, line, "not a JSON object of a Resolver query log: "+err.Error())
			continue
		}
		t, terr := time.Parse(time.RFC3339Nano, q.QueryTimestamp)
		if terr != nil || q.QueryName == "" {
			note(kindRejected, lr.n, line, "a Resolver query record needs query_timestamp (RFC 3339) and query_name")
			continue
		}
		port := jsonFieldText(q.Srcport)
		if _, err := strconv.ParseUint(port, 10, 16); err != nil && port != "-" {
			// The answer is what matters; the port goes.
			note(kindAltered, lr.n, line, fmt.Sprintf("srcport %s is no port number (0 to 65535): loaded without it", clip(port, 40)))
			port = "-"
		}
		base := []string{t.UTC().Format("2006-01-02 15:04:05.000000"), q.AccountID, q.Region, q.VPCID, q.Srcaddr,
			port, q.Srcids.Instance, strings.ToLower(strings.TrimSuffix(q.QueryName, ".")), q.QueryType, q.Rcode}
		srcKey := ipv4Key(q.Srcaddr)
		answered := false
		for _, a := range q.Answers {
			if a.Type != "A" && a.Type != "AAAA" {
				continue // CNAMEs and the like name no address
			}
			writeTSV(w, append(base, a.Rdata, a.Type, q.Transport, srcKey, ipv4Key(a.Rdata)))
			answered = true
		}
		if !answered {
			writeTSV(w, append(base, "", "", q.Transport, srcKey, ""))
		}
	}
	if lr.err != nil {
		return nil, 0, fmt.Errorf("line %d: %w", lr.n+1, lr.err)
	}
	return rejects, paddingOf(r), w.Flush()
}

// decodeResolverLine decodes a line of a Resolver query log as encoding/json would, several
// times faster: valyala/fastjson checks that the line is JSON (goccy/go-json skips the fields
// it does not want without checking them, and would take {"":{""}} or {}\x00), goccy/go-json
// decodes it unless it holds bytes that are not UTF-8 (which it keeps where encoding/json
// writes U+FFFD), and a line that either refuses (or that makes the decoder panic) goes to
// encoding/json, which has the last word and says plainly what is wrong. FuzzResolverDecode
// holds the two ways to the same results.
func decodeResolverLine(line []byte, q *resolverQuery) error {
	if fastjson.ValidateBytes(line) == nil && utf8.Valid(line) && fastDecode(line, q) {
		return nil
	}
	*q = resolverQuery{}
	return json.Unmarshal(line, q)
}

func fastDecode(line []byte, q *resolverQuery) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return gojson.Unmarshal(line, q) == nil
}

// ipv4Key is the key of an IPv4 address as text (see addrKeys), "" for other text, whose key
// the load's key function gives (a new id is the transaction's to keep or drop).
func ipv4Key(s string) string {
	if n, ok := parseIPv4(s); ok {
		return strconv.FormatUint(uint64(n), 10)
	}
	return ""
}

// writeTSV writes a row of values, tabs and line ends in them turned into spaces, "-" and
// empty values left empty (NULL).
func writeTSV(w *bufio.Writer, vals []string) {
	for i, v := range vals {
		if i > 0 {
			w.WriteByte('\t')
		}
		if v == "-" {
			v = ""
		}
		if strings.ContainsAny(v, "\t\n\r") { // decodeResolverLine's strings are UTF-8
			v = strings.Map(func(r rune) rune {
				if r == '\t' || r == '\n' || r == '\r' {
					return ' '
				}
				return r
			}, v)
		}
		w.WriteString(v)
	}
	w.WriteByte('\n')
}

// insertResolvers loads the converted rows of a batch's Resolver logs with one statement (DuckDB
// reads the files in parallel), their addresses as keys, and counts each file's rows and span.
// The tasks' ids are consecutive, in order. The rows are stored sorted by the answer's address:
// a report names a few addresses (key_domain, for its top rows), and DuckDB's zone maps then
// skip to the row groups that hold them instead of reading every answer (top-destinations on
// 100M records and 9M answers: 0.55-0.6 s instead of 0.8-1.2 s).
func (l *loader) insertResolvers(ctx context.Context, tx *sql.Tx, tasks []*task) error {
	if len(tasks) == 0 {
		return nil
	}
	key := l.keys.Func()
	paths := make([]string, len(tasks))
	byID := make(map[int64]*task, len(tasks))
	for i, t := range tasks {
		paths[i] = t.readPath
		byID[t.id] = t
		t.table = ResolverTable
	}
	first := tasks[0].id
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO dns_queries (file_id, query_time, account_id, region, vpc_id,
            srcaddr, src_ip, srcport, instance_id, query_name, query_type, rcode, answer, answer_ip, answer_type, transport)
        SELECT CAST(? AS INTEGER) + CAST(file_index AS INTEGER), query_time, account_id, region, vpc_id, srcaddr,
               coalesce(src_key, %[1]s(srcaddr)), srcport, instance_id, query_name, query_type, rcode, answer,
               coalesce(answer_key, %[1]s(answer)) AS answer_ip, answer_type, transport
        FROM read_csv(?::VARCHAR[], delim = '\t', quote = '', escape = '', header = false, auto_detect = false, nullstr = '',
                      columns = %[2]s)
        ORDER BY answer_ip`, key, resolverColumns), first, paths); err != nil {
		return asStatementError(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT file_id, count(*), CAST(epoch(min(query_time)) AS BIGINT), CAST(epoch(max(query_time)) AS BIGINT)
        FROM dns_queries WHERE file_id BETWEEN ? AND ? GROUP BY file_id`, first, tasks[len(tasks)-1].id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var lo, hi sql.NullInt64
		if err := rows.Scan(&id, &n, &lo, &hi); err != nil {
			return err
		}
		if t := byID[id]; t != nil {
			t.rows, t.firstStart, t.lastEnd = n, lo, hi
		}
	}
	return rows.Err()
}

// prepareResolver converts a Resolver query log for loading: its rows, and the lines that are
// not query records.
func (l *loader) prepareResolver(t *task, seq int, envelopes bool) error {
	in, gz := t.file.Path, t.sn.gzip
	if envelopes { // the events of CloudWatch Logs envelopes, a record a line
		in, gz = fmt.Sprintf("%s/dns-%d.json", l.tmp, seq), false
		if _, err := convertJSONTo(t, in); err != nil {
			return err
		}
	}
	out := fmt.Sprintf("%s/dns-%d.tsv", l.tmp, seq)
	h := xxh3.New128()
	err := writeConverted(out, func(w io.Writer) error {
		rejects, padding, err := convertResolver(in, t.file.URI, gz, io.MultiWriter(w, h))
		t.prepared = append(t.prepared, rejects...)
		if padding > 0 {
			t.prepared = append(t.prepared, paddingNote(t.file.URI, padding))
		}
		return err
	})
	if err != nil {
		return err
	}
	t.readPath, t.header, t.textHash = out, false, hashText(h)
	t.format = Format{Kind: ResolverQueries}
	return nil
}
