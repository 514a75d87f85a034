package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
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

// isResolverEnvelope reports whether a line is a CloudWatch Logs subscription envelope (as
// Firehose delivers a log group's events) whose first event is a Resolver query log record.
func isResolverEnvelope(line string) bool {
	var env struct {
		LogEvents []struct {
			Message string `json:"message"`
		} `json:"logEvents"`
	}
	return json.Unmarshal([]byte(line), &env) == nil && len(env.LogEvents) > 0 && isResolverLine(env.LogEvents[0].Message)
}

// resolverColumns are the columns of the tab-separated rows convertResolver writes, as
// read_csv reads them.
const resolverColumns = `{'query_time': 'TIMESTAMP', 'account_id': 'VARCHAR', 'region': 'VARCHAR', 'vpc_id': 'VARCHAR',
    'srcaddr': 'VARCHAR', 'srcport': 'INTEGER', 'instance_id': 'VARCHAR', 'query_name': 'VARCHAR', 'query_type': 'VARCHAR',
    'rcode': 'VARCHAR', 'answer': 'VARCHAR', 'answer_type': 'VARCHAR', 'transport': 'VARCHAR'}`

// maxResolverLine bounds a line of a Resolver log (a query with hundreds of answers is a few KB).
const maxResolverLine = 1 << 20

// convertResolver rewrites a Resolver query log as tab-separated rows, one per answered
// address. A line that is not a query record (not JSON, no timestamp or name, too long) is
// not loaded: it comes back as a rejected line, with its number and why.
func convertResolver(path, uri string, gz bool, out io.Writer) (rows int64, rejects []loadError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 256<<10)
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return 0, nil, fmt.Errorf("corrupt gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 256<<10)
	w := bufio.NewWriter(out)
	reject := func(n int64, line, why string) {
		rejects = append(rejects, loadError{URI: uri, Line: n, Raw: clipRaw([]byte(line)), Reason: why, Kind: kindRejected})
	}
	for n := int64(1); ; n++ {
		line, tooLong, err := readBoundedLine(br, maxResolverLine)
		if err == io.EOF && line == "" {
			break
		}
		if err != nil && err != io.EOF {
			return 0, nil, fmt.Errorf("line %d: %w", n, err)
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, string(bom)))
		switch {
		case tooLong:
			reject(n, line, fmt.Sprintf("longer than %d bytes: not a Resolver query record", maxResolverLine))
			continue
		case line == "":
			continue
		}
		var q resolverQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			reject(n, line, "not a JSON object of a Resolver query log: "+err.Error())
			continue
		}
		t, terr := time.Parse(time.RFC3339Nano, q.QueryTimestamp)
		if terr != nil || q.QueryName == "" {
			reject(n, line, "a Resolver query record needs query_timestamp (RFC 3339) and query_name")
			continue
		}
		base := []string{t.UTC().Format("2006-01-02 15:04:05.000000"), q.AccountID, q.Region, q.VPCID, q.Srcaddr,
			jsonFieldText(q.Srcport), q.Srcids.Instance, strings.ToLower(strings.TrimSuffix(q.QueryName, ".")), q.QueryType, q.Rcode}
		answered := false
		for _, a := range q.Answers {
			if a.Type != "A" && a.Type != "AAAA" {
				continue // CNAMEs and the like name no address
			}
			writeTSV(w, append(base, a.Rdata, a.Type, q.Transport))
			answered = true
			rows++
		}
		if !answered {
			writeTSV(w, append(base, "", "", q.Transport))
			rows++
		}
		if err == io.EOF {
			break
		}
	}
	return rows, rejects, w.Flush()
}

// readBoundedLine reads a line of at most max bytes; a longer one is read to its end and
// reported as too long (its first max bytes returned).
func readBoundedLine(br *bufio.Reader, max int) (string, bool, error) {
	var b []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) <= max {
			b = append(b, chunk...)
		} else {
			tooLong = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return strings.TrimRight(string(b), "\r\n"), tooLong, err
	}
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
		w.WriteString(strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, v))
	}
	w.WriteByte('\n')
}

// insertResolver loads a Resolver log's converted rows, its addresses as keys.
func (l *loader) insertResolver(ctx context.Context, tx *sql.Tx, t *task) error {
	key := l.keys.Func()
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO dns_queries (file_id, query_time, account_id, region, vpc_id,
            srcaddr, src_ip, srcport, instance_id, query_name, query_type, rcode, answer, answer_ip, answer_type, transport)
        SELECT ?, query_time, account_id, region, vpc_id, srcaddr, %[1]s(srcaddr), srcport, instance_id, query_name,
               query_type, rcode, answer, %[1]s(answer), answer_type, transport
        FROM read_csv(?, delim = '\t', quote = '', escape = '', header = false, auto_detect = false, nullstr = '',
                      columns = %[2]s)`, key, resolverColumns), t.id, t.readPath)
	if err != nil {
		return asStatementError(err)
	}
	if t.rows, err = res.RowsAffected(); err != nil {
		return err
	}
	t.table = ResolverTable
	return tx.QueryRowContext(ctx, `SELECT CAST(epoch(min(query_time)) AS BIGINT), CAST(epoch(max(query_time)) AS BIGINT)
        FROM dns_queries WHERE file_id = ?`, t.id).Scan(&t.firstStart, &t.lastEnd)
}

// prepareResolver converts a Resolver query log for loading (the rows, and the lines that are
// not query records).
func (l *loader) prepareResolver(t *task, seq int, envelopes bool) error {
	in, gz := t.file.Path, t.sn.gzip
	if envelopes { // the events of CloudWatch Logs envelopes, a record a line
		in, gz = fmt.Sprintf("%s/dns-%d.json", l.tmp, seq), false
		f, err := os.Create(in)
		if err != nil {
			return err
		}
		_, err = convertJSON(t.file.Path, t.sn.gzip, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	out := fmt.Sprintf("%s/dns-%d.tsv", l.tmp, seq)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	_, rejects, err := convertResolver(in, t.file.URI, gz, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	t.readPath, t.header = out, false
	t.format = Format{Kind: ResolverQueries}
	t.resolverRejects = rejects
	return nil
}
