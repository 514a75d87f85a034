package ingest

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// KeyInfo is what the S3 key or file name of a flow-log file says about it.
type KeyInfo struct {
	Account   string    // AWS account that owns the flow log
	Region    string    // region of the flow log
	Date      time.Time // day of the records (UTC midnight); zero when the key does not say
	Hour      int       // hour for hourly layouts and file names, else -1
	FlowLogID string    // "fl-..." from the file name
	Time      time.Time // the 5-minute bucket of the file name; zero when the name does not say
	Hive      bool      // the key uses the Hive-compatible layout
	// Resolver is set for a Route 53 Resolver query log (AWSLogs/<account>/vpcdnsquerylogs/
	// <vpc-id>/<yyyy>/<mm>/<dd>/<account>_vpcdnsquerylogs_<vpc-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz):
	// its key says the account and the day, not the region. The folders are those of AWS's
	// Athena guide to these logs (a table at AWSLogs/<account>/vpcdnsquerylogs/ partitioned by
	// vpc and by date as yyyy/MM/dd); that guide does not spell out the file name.
	Resolver bool
}

// ResolverLead is how long before the records an answer of a Resolver query log still names
// their addresses, as the reports' --window has it by default: a time filter keeps the query
// logs of this long before its start.
const ResolverLead = time.Hour

// The AWS file name: <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
var fileNamePattern = regexp.MustCompile(
	`^(\d{12}|[^_/]+)_(?:vpcflowlogs|transitgatewayflowlogs)_([a-z]{2}(?:-[a-z]+)+-\d+)_(fl-[0-9a-zA-Z]+)_(\d{8}T\d{4}Z)_[0-9a-zA-Z]+\.log(?:\.gz|\.parquet)?$`)

// The Resolver query log's file name: <account>_vpcdnsquerylogs_<vpc-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
var resolverNamePattern = regexp.MustCompile(`^(\d{12}|[^_/]+)_vpcdnsquerylogs_(vpc-[0-9a-zA-Z]+)_(\d{8})T\d{4}Z_[0-9a-zA-Z]+\.log(?:\.gz)?$`)

// ParseKey reads the account, region and date that a flow-log object's key or a local file's
// path carries, in the default, hourly and Hive-compatible layouts, from the folders and the
// file name. The second result is false when neither says anything.
func ParseKey(key string) (KeyInfo, bool) {
	info := KeyInfo{Hour: -1}
	found := false
	if m := fileNamePattern.FindStringSubmatch(path.Base(key)); m != nil {
		info.Account, info.Region, info.FlowLogID = m[1], m[2], m[3]
		if t, err := time.Parse("20060102T1504Z", m[4]); err == nil {
			info.Time = t
			info.Date = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			info.Hour = t.Hour()
		}
		found = true
	} else if m := resolverNamePattern.FindStringSubmatch(path.Base(key)); m != nil {
		info.Account, info.Resolver = m[1], true
		info.Date, _ = time.Parse("20060102", m[3])
		found = true
	}
	parts := strings.Split(path.Dir(key), "/")
	for i, p := range parts {
		if p != "AWSLogs" {
			continue
		}
		if pi, ok := parseHiveKey(parts[i+1:]); ok {
			mergeKeyInfo(&info, pi)
			return info, true
		}
		if pi, ok := parseDefaultKey(parts[i+1:]); ok {
			mergeKeyInfo(&info, pi)
			return info, true
		}
	}
	return info, found
}

// mergeKeyInfo fills what the file name left unsaid from what the folders say.
func mergeKeyInfo(info *KeyInfo, folders KeyInfo) {
	if info.Account == "" {
		info.Account = folders.Account
	}
	if info.Region == "" {
		info.Region = folders.Region
	}
	if info.Date.IsZero() {
		info.Date = folders.Date
	}
	if info.Hour < 0 {
		info.Hour = folders.Hour
	}
	info.Hive = folders.Hive
	info.Resolver = info.Resolver || folders.Resolver
}

// parseDefaultKey reads <account>/<service>/<region>/<yyyy>/<mm>/<dd>[/<HH>] for flow logs
// (vpcflowlogs, transitgatewayflowlogs) and <account>/vpcdnsquerylogs/<vpc-id>/<yyyy>/<mm>/<dd>
// for Route 53 Resolver query logs, allowing one element (an organisation id) before the
// account.
func parseDefaultKey(p []string) (KeyInfo, bool) {
	for skip := 0; skip <= 1 && skip < len(p); skip++ {
		q := p[skip:]
		if len(q) < 6 {
			continue
		}
		var info KeyInfo
		switch q[1] {
		case "vpcflowlogs", "transitgatewayflowlogs":
			info = KeyInfo{Account: q[0], Region: q[2], Hour: -1}
		case "vpcdnsquerylogs":
			info = KeyInfo{Account: q[0], Hour: -1, Resolver: true}
		default:
			continue
		}
		d, ok := parseYMD(q[3], q[4], q[5])
		if !ok {
			return KeyInfo{}, false
		}
		info.Date = d
		if len(q) > 6 && !info.Resolver {
			if h, err := strconv.Atoi(q[6]); err == nil && h >= 0 && h < 24 {
				info.Hour = h
			}
		}
		return info, true
	}
	return KeyInfo{}, false
}

// parseHiveKey reads aws-account-id=<a>/aws-service=vpcflowlogs/aws-region=<r>/year=/month=/day=[/hour=],
// allowing one element before the account.
func parseHiveKey(p []string) (KeyInfo, bool) {
	vals := map[string]string{}
	for _, e := range p {
		if k, v, ok := strings.Cut(e, "="); ok {
			vals[k] = v
		}
	}
	if vals["aws-account-id"] == "" || vals["year"] == "" {
		return KeyInfo{}, false
	}
	info := KeyInfo{Account: vals["aws-account-id"], Region: vals["aws-region"], Hour: -1, Hive: true}
	d, ok := parseYMD(vals["year"], vals["month"], vals["day"])
	if !ok {
		return KeyInfo{}, false
	}
	info.Date = d
	if h, err := strconv.Atoi(vals["hour"]); err == nil && h >= 0 && h < 24 {
		info.Hour = h
	}
	return info, true
}

func parseYMD(y, m, d string) (time.Time, bool) {
	t, err := time.Parse("2006/01/02", y+"/"+m+"/"+d)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
