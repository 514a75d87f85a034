package enrich

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// AWSRangesURL is where AWS publishes its IP address ranges.
const AWSRangesURL = "https://ip-ranges.amazonaws.com/ip-ranges.json"

// RangesSummary is what LoadAWSRanges loaded.
type RangesSummary struct {
	SyncToken, CreateDate string
	IPv4, IPv6            int
	Segments              int
}

// DownloadAWSRanges fetches ip-ranges.json into dir and returns the file's path.
func DownloadAWSRanges(ctx context.Context, client *http.Client, url, dir string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %s", url, resp.Status)
	}
	path := filepath.Join(dir, "ip-ranges.json")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	return path, f.Close()
}

// LoadAWSRanges replaces aws_ip_ranges with the prefixes of an ip-ranges.json file (or a gzip
// of one) and rebuilds aws_ip_segments, in one transaction.
func LoadAWSRanges(ctx context.Context, db *sql.DB, path string) (*RangesSummary, error) {
	var head struct {
		SyncToken  string            `json:"syncToken"`
		CreateDate string            `json:"createDate"`
		Prefixes   []json.RawMessage `json:"prefixes"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	compression := "uncompressed"
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		compression = "gzip"
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Prefixes == nil {
		return nil, fmt.Errorf("%s is not an AWS ip-ranges.json file (no prefixes): %v", path, err)
	}
	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	stmts := []string{
		`DELETE FROM aws_ip_ranges`,
		`INSERT INTO aws_ip_ranges
         SELECT p.ip_prefix, 'ipv4', CAST(split_part(p.ip_prefix, '/', 2) AS INTEGER),
                cidr4_lo(p.ip_prefix), cidr4_hi(p.ip_prefix), NULL, NULL,
                p.service, p.region, p.network_border_group, j.syncToken, j.createDate
         FROM (SELECT unnest(prefixes) AS p, syncToken, createDate FROM read_json($1, maximum_object_size = 100000000, compression = '%[1]s')) AS j`,
		`INSERT INTO aws_ip_ranges
         SELECT p.ipv6_prefix, 'ipv6', CAST(split_part(p.ipv6_prefix, '/', 2) AS INTEGER),
                NULL, NULL, cidr6_lo(p.ipv6_prefix), cidr6_hi(p.ipv6_prefix),
                p.service, p.region, p.network_border_group, j.syncToken, j.createDate
         FROM (SELECT unnest(ipv6_prefixes) AS p, syncToken, createDate FROM read_json($1, maximum_object_size = 100000000, compression = '%[1]s')) AS j`,
	}
	for i, s := range stmts {
		var args []any
		if i > 0 {
			args = []any{path}
			s = fmt.Sprintf(s, compression)
		}
		if _, err := tx.ExecContext(ctx, s, args...); err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
	}
	sum := &RangesSummary{SyncToken: head.SyncToken, CreateDate: head.CreateDate}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE family = 'ipv4'), count(*) FILTER (WHERE family = 'ipv6') FROM aws_ip_ranges`).Scan(&sum.IPv4, &sum.IPv6); err != nil {
		return nil, err
	}
	n, err := rebuildAWSSegments(ctx, tx)
	if err != nil {
		return nil, err
	}
	sum.Segments = n
	return sum, tx.Commit()
}

// serviceClass ranks the services that AWS lists an address under: a named service (S3,
// DYNAMODB, CLOUDFRONT, ...) says most, EC2 (which lists whole blocks that hold other services'
// prefixes, often the very same prefixes) less, and AMAZON (every range of AWS) least.
func serviceClass(service string) int {
	switch service {
	case "AMAZON":
		return 2
	case "EC2":
		return 1
	}
	return 0
}

// RebuildAWSSegments flattens aws_ip_ranges' IPv4 prefixes into aws_ip_segments: disjoint
// pieces, each with every service whose prefixes hold it (services) and the one that names it
// (service): the most specific prefix of a named service, else of EC2, else of AMAZON. The real
// ip-ranges.json lists many S3 and DynamoDB prefixes under EC2 too, at the same length, and
// nests S3 /28s in EC2 /11s: by this rule both are S3, and the list keeps EC2.
func RebuildAWSSegments(ctx context.Context, tx *sql.Tx) error {
	_, err := rebuildAWSSegments(ctx, tx)
	return err
}

func rebuildAWSSegments(ctx context.Context, tx *sql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT lo, hi, ip_prefix, service, region, network_border_group FROM aws_ip_ranges WHERE family = 'ipv4'`)
	if err != nil {
		return 0, err
	}
	type info struct{ prefix, service, region, nbg string }
	var infos []info
	var spans []span
	for rows.Next() {
		var s span
		var in info
		if err := rows.Scan(&s.lo, &s.hi, &in.prefix, &in.service, &in.region, &in.nbg); err != nil {
			rows.Close()
			return 0, err
		}
		s.item = len(infos)
		infos = append(infos, in)
		spans = append(spans, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	segs := flatten(spans, func(a, b span) bool {
		ia, ib := infos[a.item], infos[b.item]
		if ca, cb := serviceClass(ia.service), serviceClass(ib.service); ca != cb {
			return ca < cb
		}
		if a.hi-a.lo != b.hi-b.lo {
			return a.hi-a.lo < b.hi-b.lo
		}
		if ia.service != ib.service {
			return ia.service < ib.service
		}
		return ia.prefix < ib.prefix
	})
	if _, err := tx.ExecContext(ctx, `DELETE FROM aws_ip_segments`); err != nil {
		return 0, err
	}
	var lo, hi []int64
	var prefix, service, region, nbg, services []string
	for _, s := range segs {
		in := infos[s.item]
		lo, hi = append(lo, s.lo), append(hi, s.hi)
		prefix, service, region, nbg = append(prefix, in.prefix), append(service, in.service), append(region, in.region), append(nbg, in.nbg)
		var names []string
		for _, i := range s.all {
			names = append(names, infos[i].service)
		}
		slices.Sort(names)
		services = append(services, strings.Join(slices.Compact(names), ","))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO aws_ip_segments (lo, hi, ip_prefix, service, region, network_border_group, services)
        SELECT unnest($1::BIGINT[]), unnest($2::BIGINT[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[]),
               unnest($6::VARCHAR[]), string_split(unnest($7::VARCHAR[]), ',')`,
		lo, hi, prefix, service, region, nbg, services)
	return len(segs), err
}
