package enrich

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// LoadAWSRanges replaces aws_ip_ranges with the prefixes of an ip-ranges.json file and
// rebuilds aws_ip_segments, in one transaction.
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
	if err := json.Unmarshal(data, &head); err != nil || head.Prefixes == nil {
		return nil, fmt.Errorf("%s is not an AWS ip-ranges.json file (no prefixes): %v", path, err)
	}
	tx, err := db.BeginTx(ctx, nil)
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
         FROM (SELECT unnest(prefixes) AS p, syncToken, createDate FROM read_json($1, maximum_object_size = 100000000)) AS j`,
		`INSERT INTO aws_ip_ranges
         SELECT p.ipv6_prefix, 'ipv6', CAST(split_part(p.ipv6_prefix, '/', 2) AS INTEGER),
                NULL, NULL, cidr6_lo(p.ipv6_prefix), cidr6_hi(p.ipv6_prefix),
                p.service, p.region, p.network_border_group, j.syncToken, j.createDate
         FROM (SELECT unnest(ipv6_prefixes) AS p, syncToken, createDate FROM read_json($1, maximum_object_size = 100000000)) AS j`,
	}
	for _, s := range stmts {
		var args []any
		if s != stmts[0] {
			args = []any{path}
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

// rebuildAWSSegments flattens the IPv4 prefixes: the most specific prefix wins, and for the
// same prefix a named service wins over AMAZON (which AWS lists beside every service's
// prefixes).
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
		if a.hi-a.lo != b.hi-b.lo {
			return a.hi-a.lo < b.hi-b.lo
		}
		ia, ib := infos[a.item], infos[b.item]
		if (ia.service == "AMAZON") != (ib.service == "AMAZON") {
			return ib.service == "AMAZON"
		}
		return ia.service < ib.service
	})
	if _, err := tx.ExecContext(ctx, `DELETE FROM aws_ip_segments`); err != nil {
		return 0, err
	}
	var lo, hi []int64
	var prefix, service, region, nbg []string
	for _, s := range segs {
		in := infos[s.item]
		lo, hi = append(lo, s.lo), append(hi, s.hi)
		prefix, service, region, nbg = append(prefix, in.prefix), append(service, in.service), append(region, in.region), append(nbg, in.nbg)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO aws_ip_segments
        SELECT unnest($1::BIGINT[]), unnest($2::BIGINT[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[]), unnest($6::VARCHAR[])`,
		lo, hi, prefix, service, region, nbg)
	return len(segs), err
}
