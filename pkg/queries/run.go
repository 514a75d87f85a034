package queries

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flowsql/flowsql/internal/words"
)

// Prepared is a report bound to its arguments on the local engine, with what its user should
// know before reading the answer.
type Prepared struct {
	Query *Query
	Statement
	// Empty is set when no loaded record falls in the time window asked for (Notes say so too).
	Empty *EmptyWindow
	// Skipped is set when AWS skipped records in the window (SKIPDATA): the figures that cover
	// those capture windows are low (Notes say so too).
	Skipped *SkippedRecords
	// Overlaps is set when more than one flow log recorded some interfaces at once in the
	// window: the figures that cover them are too high (Notes say so too).
	Overlaps *OverlappingLogs
	// Edges is set when records that overlap the edges of the --since/--until window, which
	// the report counts whole, bring a share of its bytes from outside it (Notes say so too).
	Edges *WindowEdges
	// Shared are the private addresses the report is asked about that name hosts in more
	// than one account or VPC of the logs, whose traffic it adds up (Notes say so too).
	Shared []*SharedAddress
	// NoRecords is set when no VPC flow record is loaded (Notes say so too): what to do.
	NoRecords string
	// Unmatched says of each --account or --interface filter that no loaded record matches
	// (Notes say so too): the report's answer is empty for that reason alone.
	Unmatched []string
	// Lacking counts, for each field the report needs that some loaded records lack (their
	// formats have no such field), the records without it (Notes say so too).
	Lacking map[string]int64
	// summary is set when flow_hourly is known to sum every record.
	summary bool
	// vals are the report's arguments; limitNoted is set when Notes say already that the
	// limit cuts a time series short.
	vals       Values
	limitNoted bool
	// listed is how many rows the table of a list holds (Query.List).
	listed int64
	// networks is the note that records of some interfaces count as of the account and VPC
	// that other records give (DuckDB.Networks), "" when none do; engine is the engine the
	// statement was made for.
	networks string
	engine   DuckDB
}

// LimitNote says when a time series' limit may have cut its answer of rows rows short (see
// Query.LimitNote), unless Notes said so already, and when the limit cut a list (Query.List)
// short, with how many rows it has.
func (p *Prepared) LimitNote(rows int64) string {
	if p.limitNoted {
		return ""
	}
	if p.Query.List != "" && rows < p.listed {
		raw, limit, ok := p.Query.intValue(p.vals, "limit")
		if ok && rows >= limit {
			return fmt.Sprintf("the list stops at --limit %s, and %s holds %s: --limit %d shows them all", raw, p.Query.List, words.Plural(p.listed, "row"), p.listed)
		}
	}
	return p.Query.LimitNote(p.vals, rows)
}

// Outcome is a report's answer.
type Outcome struct {
	*Prepared
	Result *Result
}

// MissingFieldError is a report that needs a flow-log field which none of the loaded records
// has: its figures would all be zero or empty, so it does not run.
type MissingFieldError struct {
	Report  string
	Field   string
	Records int64
	Formats []string // the fields of each format loaded, as header lines
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("%s needs the %s field, and none of the %s loaded records has it (their format: %s): add ${%s} to the flow log's format",
		e.Report, e.Field, words.Count(e.Records), strings.Join(e.Formats, "; "), e.Field)
}

// Prepare binds a named report's arguments for the local engine (the flowsql database db) and
// checks what the logs can answer: a field the report needs that some records lack is a note,
// one that all records lack is a *MissingFieldError, and a time window that holds no record
// is a note that gives the span the database holds.
func (s *Set) Prepare(ctx context.Context, db *sql.DB, name string, vals Values, f Filters) (*Prepared, error) {
	q, ok := s.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no report named %s", name)
	}
	var err error
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return nil, &ArgError{Param: "until", Msg: fmt.Sprintf("%s is not after --since %s", stamp(f.Until), stamp(f.Since))}
	}
	if err := checkWhere(ctx, db, f.Where); err != nil {
		return nil, err
	}
	// The checks below read the summary when it is current, whether or not the report does
	// (the same answers: nat-interface's shared-address check read 100M records for 1-2 s).
	var d DuckDB
	var current bool
	body, _ := q.Body(d.Engine())
	readsDestinations := ReferencesName(body, DestinationsName)
	readsSummary := ReferencesName(body, SummaryName) || readsDestinations
	var readsRollups []string
	for _, r := range RollupNames {
		if ReferencesName(body, r) {
			readsRollups = append(readsRollups, r)
		}
	}
	if readsSummary || len(readsRollups) > 0 || q.Filters || len(q.Needs) > 0 {
		if current, err = SummaryCurrent(ctx, db); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	d.Summary = readsSummary && current
	if current && readsDestinations && f.empty() {
		if d.Destinations, err = destinationsFilled(ctx, db); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, r := range readsRollups {
		if current {
			if *d.rollupCurrent(r), err = RollupCurrent(ctx, db, rollupRelations[r].table); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	stale := (readsSummary || len(readsRollups) > 0) && !current
	// The formats loaded, which the checks below read too.
	var formats []format
	if q.Filters || len(q.Needs) > 0 {
		if formats, err = readFormats(ctx, db); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	// Records that lack account-id or vpc-id where other records of their interface have
	// them, or records of account "unknown" whose VPC is of one account, count as of that
	// account and VPC (DuckDB.Networks).
	var networks string
	if q.Filters {
		if networks, err = s.networks.resolve(ctx, db, formats, &d, current); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	st, err := q.Statement(ctx, d, vals, f, DBKeys{DB: db}, time.Now())
	if err != nil {
		return nil, err
	}
	p := &Prepared{Query: q, Statement: st, summary: current, vals: vals, networks: networks, engine: d}
	if stale {
		p.Notes = append(p.Notes, "flow_hourly, the hourly summary of the records, does not cover them all: this report read the records, which is slower. "+
			"The summary leaves out groups whose bytes or packets add up beyond 64 bits (only records with values no record can have do), and records changed by hand; "+
			"after changes by hand, 'flowsql load --rebuild-summary' makes it anew")
	}
	if q.List != "" {
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+q.List).Scan(&p.listed); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, l := range q.Lookups {
		var filled bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+l.Table+")").Scan(&filled); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if !filled {
			p.Notes = append(p.Notes, fmt.Sprintf("%s is empty, so this report has nothing to show yet: %s", l.Table, l.Fill))
		}
	}
	if !q.Filters && len(q.Needs) == 0 {
		return p, nil
	}
	notes, err := checkRecords(ctx, db, formats, q, vals, f, p)
	p.Notes = append(p.Notes, notes...)
	return p, err
}

// checkWhere makes sure that a --where condition reads as one on the records, before the
// report runs: a mistake in it is the user's to mend (an *ArgError, with DuckDB's reason and
// the columns it suggests), not an error of the report.
func checkWhere(ctx context.Context, db *sql.DB, where string) error {
	if strings.TrimSpace(where) == "" {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The driver's Prepare, unlike PrepareContext, takes one statement and runs nothing: a
	// condition with a ";" in it cannot make this check run a statement of its own.
	return conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return nil
		}
		st, err := c.Prepare("SELECT 1 FROM flow_records WHERE (" + where + ")")
		if err != nil && strings.Contains(err.Error(), "multi-statement") {
			return &ArgError{Param: "where", Msg: "one condition, not statements separated by ';'"}
		}
		if err != nil {
			return &ArgError{Param: "where", Msg: "not a SQL condition on the flows columns ('flowsql sql \"DESCRIBE flows\"' lists them): " + err.Error()}
		}
		return st.Close()
	})
}

// Run prepares a named report (see Prepare) and runs it.
func (s *Set) Run(ctx context.Context, db *sql.DB, name string, vals Values, f Filters) (*Outcome, error) {
	p, err := s.Prepare(ctx, db, name, vals, f)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, p.SQL, p.Args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res, err := ReadRows(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if note := p.LimitNote(int64(len(res.Rows))); note != "" {
		p.Notes = append(p.Notes, note)
	}
	return &Outcome{Prepared: p, Result: res}, nil
}

// recordsOrSummary is what a check that needs only the summary's columns reads: flow_hourly
// when it sums every record (summary), else the records.
func recordsOrSummary(summary bool) string {
	if summary {
		return "flow_hourly"
	}
	return "flow_records"
}

// unknownFilters says when --interface or --account names what no loaded VPC record has (a
// typo answers with no rows, which would otherwise read as no traffic). summary is set when
// flow_hourly holds every record, and is read instead of them.
func unknownFilters(ctx context.Context, db *sql.DB, f Filters, summary bool) ([]string, error) {
	if f.Interface == "" && f.Account == "" {
		return nil, nil
	}
	var iface, account bool
	if err := db.QueryRowContext(ctx, `SELECT coalesce(bool_or(interface_id = $1), false), coalesce(bool_or(account_id = $2), false) FROM `+recordsOrSummary(summary),
		f.Interface, f.Account).Scan(&iface, &account); err != nil {
		return nil, err
	}
	var notes []string
	if f.Interface != "" && !iface {
		notes = append(notes, fmt.Sprintf("no loaded record is of interface %s: 'flowsql report interfaces' lists those the logs hold", f.Interface))
	}
	if f.Account != "" && !account {
		notes = append(notes, fmt.Sprintf("no loaded record is of account %s: 'flowsql sql \"SELECT DISTINCT account_id FROM flows\"' lists those the logs hold", f.Account))
	}
	return notes, nil
}

// SharedAddress is a private address that records of more than one account or VPC are
// addressed to: a host in each (templated VPCs reuse their addresses).
type SharedAddress struct {
	Param, Addr string
	Places      []string // "account 123456789012 vpc-0abc", one per network (addrPlaces)
}

// Error says where the address is a host, and that the report adds their traffic up.
func (a *SharedAddress) Error() string {
	return fmt.Sprintf("%s %s is a private address in %d accounts or VPCs of the logs (%s): a host in each, whose traffic this report adds up; --account chooses one",
		FlagName(a.Param), a.Addr, len(a.Places), strings.Join(a.Places, "; "))
}

// unseenNote says that no loaded record has the address given to a parameter.
func unseenNote(param, addr string) string {
	return fmt.Sprintf("no loaded record has %s %s as its source or destination (a NAT gateway's records name its private address, not its public one): "+
		"'flowsql report top-destinations' lists the busiest", FlagName(param), addr)
}

// checkAddrs looks up the IPv4 addresses given to a report's parameters in the records: those
// that no loaded record has as its source or destination (unseen notes: the answer is empty
// for that reason alone; an IPv6 one without a key is said as the statement is made), and the
// private ones that records of more than one account or VPC are addressed to (shared), unless
// --account chooses one (a VPC may still share an account).
func checkAddrs(ctx context.Context, db *sql.DB, q *Query, vals Values, f Filters, summary bool) (unseen []string, shared []*SharedAddress, err error) {
	rel := recordsOrSummary(summary)
	for _, p := range q.Params {
		a, err := netip.ParseAddr(vals[p.Name])
		if p.Type != "addr" || err != nil || !a.Is4() {
			continue
		}
		var places []string
		if a.IsPrivate() && f.Account == "" {
			if places, err = addrPlaces(ctx, db, rel, ipv4Key(a)); err != nil {
				return nil, nil, err
			}
			if len(places) > 1 {
				shared = append(shared, &SharedAddress{Param: p.Name, Addr: a.String(), Places: places})
			}
		}
		seen := len(places) > 0
		if !seen {
			if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+rel+` WHERE dst_ip = $1) OR EXISTS (SELECT 1 FROM `+rel+` WHERE src_ip = $1)`,
				ipv4Key(a)).Scan(&seen); err != nil {
				return nil, nil, err
			}
		}
		if !seen {
			unseen = append(unseen, unseenNote(p.Name, a.String()))
		}
	}
	return unseen, shared, nil
}

// addrPlaces lists the networks whose records in rel are addressed to key k: "account
// 123456789012 vpc-0abc", one per account and VPC that can hold a host of its own (see
// network.same).
func addrPlaces(ctx context.Context, db *sql.DB, rel string, k int64) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT account_id, vpc_id FROM `+rel+`
        WHERE dst_ip = $1 ORDER BY vpc_id IS NULL, account_id IS NULL OR account_id = 'unknown', account_id, vpc_id`, k)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []network
	for rows.Next() {
		var n network
		var account, vpc sql.NullString
		if err := rows.Scan(&account, &vpc); err != nil {
			return nil, err
		}
		n.account, n.vpc = account.String, vpc.String
		all = append(all, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var places []string
	for _, n := range distinctNetworks(all) {
		places = append(places, n.String())
	}
	return places, nil
}

// network is an account and VPC of records ("" where a record has none).
type network struct{ account, vpc string }

func (n network) String() string {
	s := "no account"
	if n.account != "" {
		s = "account " + n.account
	}
	if n.vpc != "" {
		s += " " + n.vpc
	}
	return s
}

// same tells whether records of two accounts and VPCs can be of one network, as the macro
// same_network does: the VPC decides where both have one (a shared VPC holds interfaces of
// several accounts), else the account, where both have one; an account "unknown" (an interface
// that an AWS service made: an endpoint, a load balancer) is none.
func (n network) same(o network) bool {
	if n.vpc != "" && o.vpc != "" {
		return n.vpc == o.vpc
	}
	known := func(a string) bool { return a != "" && a != "unknown" }
	if known(n.account) && known(o.account) {
		return n.account == o.account
	}
	return true
}

// distinctNetworks keeps of all, most specific first, those that no earlier one can be the
// same network as.
func distinctNetworks(all []network) []network {
	var out []network
	for _, n := range all {
		if !slices.ContainsFunc(out, n.same) {
			out = append(out, n)
		}
	}
	return out
}

// networksCache keeps the interfaces whose records count as of another account or VPC (see
// DuckDB.NetworksSQL) that the last report on a database found, with what its files were.
type networksCache struct {
	mu    sync.Mutex
	db    *sql.DB
	files string // the loaded files as networksKey gives them
	rows  [][3]sql.NullString
}

// networksKey tells the loaded files apart: any load, reload or deletion changes it.
func networksKey(ctx context.Context, db *sql.DB, current bool) (string, error) {
	var key string
	err := db.QueryRowContext(ctx, `SELECT concat_ws(' ', count(*), max(file_id), sum(rows_loaded), max(loaded_at)) FROM ingested_files`).Scan(&key)
	return fmt.Sprintf("%s %v", key, current), err
}

// resolve sets d.Networks when some records lack an account or VPC that other records tell
// (see DuckDB.NetworksSQL), with the interfaces as a list of values, and returns the note that
// says so: when the formats loaded (formats) differ in account-id or vpc-id, or have vpc-id
// and records of account "unknown" are loaded. With current set, the interfaces are read from the summary
// (about a second for 100M records), once while the loaded files stay the same.
func (c *networksCache) resolve(ctx context.Context, db *sql.DB, formats []format, d *DuckDB, current bool) (string, error) {
	rel := recordsOrSummary(current)
	lacksAccount := slices.ContainsFunc(formats, func(f format) bool { return !slices.Contains(f.fields, "account-id") })
	var keyAccounts int
	if lacksAccount {
		if err := db.QueryRowContext(ctx, `SELECT count(DISTINCT account) FROM ingested_files WHERE target = 'flows'`).Scan(&keyAccounts); err != nil {
			return "", err
		}
	}
	switch {
	case formatsDiffer(formats, "account-id") || formatsDiffer(formats, "vpc-id"):
	case lacksAccount && keyAccounts > 1: // files of several accounts' S3 keys, records without account-id
	case slices.ContainsFunc(formats, func(f format) bool { return slices.Contains(f.fields, "vpc-id") }):
		var unknown bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+rel+` WHERE account_id = 'unknown')`).Scan(&unknown); err != nil || !unknown {
			return "", err
		}
	default:
		return "", nil
	}
	key, err := networksKey(ctx, db, current)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db != db || c.files != key {
		probe := DuckDB{Summary: current, Networks: true} // it reads rel
		rows, err := db.QueryContext(ctx, `SELECT interface_id, account_id, vpc_id FROM (`+probe.NetworksSQL()+`) ORDER BY interface_id`)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		var found [][3]sql.NullString
		for rows.Next() {
			var r [3]sql.NullString
			if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
				return "", err
			}
			found = append(found, r)
		}
		if err := rows.Err(); err != nil {
			return "", err
		}
		c.db, c.files, c.rows = db, key, found
	}
	if len(c.rows) == 0 {
		return "", nil
	}
	values := make([]string, len(c.rows))
	for i, r := range c.rows {
		values[i] = fmt.Sprintf("(%s, %s, %s)", sqlString(r[0]), sqlString(r[1]), sqlString(r[2]))
	}
	d.Networks = true
	d.networkRows = "SELECT * FROM (VALUES " + strings.Join(values, ", ") + ") AS networks(interface_id, account_id, vpc_id)"
	return fmt.Sprintf("%s records without an account or VPC (or of account \"unknown\") that other records tell: the interface's own other records "+
		"(a flow log's format changed, or flow logs of two formats record it), or, for the account, the one account of the other interfaces of its VPC, "+
		"or else the one account in the S3 keys of the files that log it (AWSLogs/<account>/); "+
		"those records count as of that account and VPC (an interface is in one VPC, of one account): a host they name is one row, not two, "+
		"and the hosts of two networks that share a private address are two",
		interfacesLog(int64(len(c.rows)), c.rows[0][0].String)), nil
}

// sqlString is a SQL string literal of s, NULL when s is.
func sqlString(s sql.NullString) string {
	if !s.Valid {
		return "CAST(NULL AS VARCHAR)" // typed: a VALUES column of NULLs alone would not be text
	}
	return sqlLiteral(s.String)
}

// unknownAccounts says when interfaces log records of account "unknown", which AWS writes for
// interfaces that an AWS service made (an endpoint, a load balancer): the reports that tell
// private hosts apart by account show the hosts those records name on rows of account
// "unknown", apart from the rows of the account that owns them, unless d reads them as of
// that account (DuckDB.Networks). (Free when there are none: the column's statistics rule
// them out.)
func unknownAccounts(ctx context.Context, db *sql.DB, summary bool, d DuckDB) (string, error) {
	resolved := "" // the interfaces whose records of account "unknown" count as of another
	if d.Networks {
		resolved = ` AND interface_id NOT IN (SELECT interface_id FROM (` + d.NetworksSQL() + `) WHERE account_id IS NOT NULL)`
	}
	var n int64
	var some sql.NullString
	err := db.QueryRowContext(ctx, `SELECT count(DISTINCT interface_id), min(interface_id) FROM `+recordsOrSummary(summary)+`
        WHERE account_id = 'unknown'`+resolved).Scan(&n, &some)
	if err != nil || n == 0 {
		return "", err
	}
	return fmt.Sprintf(`%s records of account "unknown", which AWS writes for interfaces that an AWS service made (an endpoint, a load balancer): `+
		`a private host that their records name shows on a row of account "unknown", apart from any rows of the account that owns it`, interfacesLog(n, some.String)), nil
}

// interfacesLog begins a note about n interfaces, one of them some: "interface eni-1 logs",
// "3 interfaces (eni-1 among them) log".
func interfacesLog(n int64, some string) string {
	if n == 1 {
		return "interface " + some + " logs"
	}
	return fmt.Sprintf("%s interfaces (%s among them) log", words.Count(n), some)
}

// chosen is a parameter's value as vals give it, or its default.
func chosen(p Param, vals Values) string {
	if v, ok := vals[p.Name]; ok {
		return v
	}
	return p.Default
}

// formatsDiffer reports whether some formats loaded have a field and others do not.
func formatsDiffer(formats []format, field string) bool {
	var with, without bool
	for _, ft := range formats {
		if slices.Contains(ft.fields, field) {
			with = true
		} else {
			without = true
		}
	}
	return with && without
}

// format is one row of the flow_formats view: a table of records that share their fields.
type format struct {
	fields         []string
	files, records int64
}

// formatsWithout counts the records and files of the loaded formats that have no field, and
// lists those formats' fields.
func formatsWithout(formats []format, field string) (records, files int64, lacking []string) {
	for _, ft := range formats {
		if !slices.Contains(ft.fields, field) {
			records += ft.records
			files += ft.files
			lacking = append(lacking, strings.Join(ft.fields, " "))
		}
	}
	return records, files, lacking
}

// someLack says that some of the records loaded have no field: what the report does with it
// ("computes from it", "shows of it") covers only the others.
func someLack(field, what string, without, total, filesWithout, files int64, lacking []string) string {
	return fmt.Sprintf("%s of the %s records loaded (%s of %s files) have no %s field: what this report %s covers only the other %s (blank where a row has no record with it); their format is %s",
		words.Count(without), words.Count(total), words.Count(filesWithout), words.Count(files), field, what, words.Plural(total-without, "record"), strings.Join(lacking, "; "))
}

// checkRecords compares what a report needs with the VPC flow records loaded: the fields that
// its figures (and its filters) read, the span of time its window asks for, and for a time
// series the buckets that window or its limit leaves incomplete.
// It sets p.Empty, p.Overlaps, p.Skipped, p.NoRecords and p.limitNoted.
func checkRecords(ctx context.Context, db *sql.DB, formats []format, q *Query, vals Values, f Filters, p *Prepared) ([]string, error) {
	var total, files int64
	for _, ft := range formats {
		total += ft.records
		files += ft.files
	}
	if total == 0 {
		if !q.Filters {
			return nil, nil
		}
		var tgw int64
		if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(rows_loaded), 0) FROM ingested_files WHERE target = 'tgw_flows'`).Scan(&tgw); err != nil {
			return nil, err
		}
		p.NoRecords = "no flow records are loaded: flowsql load PATH... loads them"
		if tgw > 0 {
			p.NoRecords = fmt.Sprintf("no VPC flow records are loaded, which the reports read; tgw_flows holds the %s of Transit Gateway flow logs loaded (flowsql sql queries it)", words.Plural(tgw, "record"))
		}
		return []string{p.NoRecords}, nil
	}
	needs := slices.Clone(q.Needs)
	asked := map[string]string{} // a field one choice needs: the report as asked for, for the error
	for _, n := range q.NeedsIf {
		if p, _ := q.Param(n.Param); chosen(p, vals) == n.Value {
			needs = append(needs, n.Field)
			asked[n.Field] = fmt.Sprintf("%s %s %s", q.Name, FlagName(n.Param), n.Value)
		}
	}
	if !f.Since.IsZero() || !f.Until.IsZero() {
		needs = append(needs, "start", "end")
	}
	if f.Account != "" {
		needs = append(needs, "account-id")
	}
	if f.Interface != "" {
		needs = append(needs, "interface-id")
	}
	var notes []string
	for _, field := range slices.Compact(needs) {
		without, filesWithout, lacking := formatsWithout(formats, field)
		switch {
		case without == total:
			report := q.Name
			if a, ok := asked[field]; ok {
				report = a
			}
			return notes, &MissingFieldError{Report: report, Field: field, Records: total, Formats: lacking}
		case without > 0:
			if p.Lacking == nil {
				p.Lacking = map[string]int64{}
			}
			p.Lacking[field] = without
			notes = append(notes, someLack(field, "computes from it", without, total, filesWithout, files, lacking))
		}
	}
	for _, field := range q.Shows {
		if slices.Contains(needs, field) {
			continue // said above
		}
		without, filesWithout, lacking := formatsWithout(formats, field)
		switch {
		case without == total:
			notes = append(notes, fmt.Sprintf("none of the %s records loaded has %s field: what this report shows of it is blank; add ${%s} to the flow log's format (theirs: %s)",
				words.Count(total), words.A(field), field, strings.Join(lacking, "; ")))
		case without > 0:
			notes = append(notes, someLack(field, "shows of it", without, total, filesWithout, files, lacking))
		}
	}
	if p.networks != "" && (slices.Contains(q.Optional, "account_id") || slices.Contains(q.Optional, "vpc_id")) {
		notes = append(notes, p.networks)
	}
	if slices.Contains(q.Optional, "account_id") {
		note, err := unknownAccounts(ctx, db, p.summary, p.engine)
		if err != nil {
			return notes, err
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	if !q.Filters {
		return notes, nil
	}
	unknown, err := unknownFilters(ctx, db, f, p.summary)
	if err != nil {
		return notes, err
	}
	p.Unmatched = unknown
	notes = append(notes, unknown...)
	unseen, shared, err := checkAddrs(ctx, db, q, vals, f, p.summary)
	if err != nil {
		return notes, err
	}
	notes = append(notes, unseen...)
	p.Shared = shared
	for _, a := range p.Shared {
		notes = append(notes, a.Error())
	}
	windowed := !f.Since.IsZero() || !f.Until.IsZero()
	if windowed || q.Series != "" {
		first, last, err := loadedSpan(ctx, db)
		if err != nil {
			return notes, err
		}
		if windowed {
			if p.Empty = emptyWindow(f, first, last); p.Empty != nil {
				return append(notes, p.Empty.Error()), nil
			}
			if gap := coverageGap(f, first, last); gap != "" {
				notes = append(notes, gap)
			}
			// A time series says what the window's edges do to its buckets (seriesNotes).
			if q.Series == "" {
				if p.Edges, err = checkEdges(ctx, db, f, p.summary); err != nil {
					return notes, err
				}
				if p.Edges != nil {
					notes = append(notes, p.Edges.Error())
				}
			}
		}
		if q.Series != "" && first.Valid && last.Valid {
			var series []string
			series, p.limitNoted = q.seriesNotes(vals, f, first.Time, last.Time)
			notes = append(notes, series...)
			if raw, width, ok := q.intValue(vals, q.Series); ok && !fixedWidth(q.Series) {
				spill, err := spillNote(ctx, db, width, raw, q.Series)
				if err != nil {
					return notes, err
				}
				if spill != "" {
					notes = append(notes, spill)
				}
			}
		}
	}
	gaps, err := innerGaps(ctx, db, f)
	if err != nil {
		return notes, err
	}
	if gaps != "" {
		notes = append(notes, gaps)
	}
	if p.Overlaps, err = CheckOverlaps(ctx, db, f); err != nil {
		return notes, err
	}
	if p.Overlaps != nil {
		notes = append(notes, p.Overlaps.Error())
	}
	odd, err := oddRecords(ctx, db, f)
	if err != nil {
		return notes, err
	}
	if odd != "" {
		notes = append(notes, odd)
		if q.Series != "" {
			left, err := oddTimes(ctx, db, f, p.summary)
			if err != nil {
				return notes, err
			}
			if left != "" {
				notes = append(notes, left)
			}
		}
	}
	body, _ := q.Body(DuckDB{}.Engine())
	if strings.Contains(body, "key_interface_") || strings.Contains(body, "eni_at(") {
		stale, err := staleInterfaces(ctx, db, f)
		if err != nil {
			return notes, err
		}
		if stale != "" {
			notes = append(notes, stale)
		}
	}
	if strings.Contains(body, "'SKIPDATA'") {
		return notes, nil // the report counts them itself
	}
	p.Skipped, err = checkSkipped(ctx, db, f, p.summary)
	if p.Skipped != nil {
		notes = append(notes, p.Skipped.Error())
	}
	return notes, err
}

// OverlappingLogs are the interfaces that more than one loaded flow log recorded at the same
// time, in a window (see flow_log_overlaps): their traffic there counts once per flow log.
type OverlappingLogs struct {
	Interfaces  int64
	Records     int64    // the records of the minutes they overlap in, of all those flow logs
	FlowLogs    []string // flow log ids, or "format: <header>" for files whose name has none
	First, Last time.Time
}

// maxFlowLogsNamed is how many of the overlapping flow logs a note names.
const maxFlowLogsNamed = 5

// Error says so, with what to do: load one flow log's files, or leave the others out with
// --where.
func (o *OverlappingLogs) Error() string {
	msg := o.Summary()
	if last := o.FlowLogs[len(o.FlowLogs)-1]; strings.HasPrefix(last, "fl-") {
		msg += fmt.Sprintf(", or leave one out with --where \"file_id NOT IN (SELECT file_id FROM ingested_files WHERE flow_log_id = '%s')\"", last)
	}
	return msg
}

// Summary says so, advising to load one flow log's files only.
func (o *OverlappingLogs) Summary() string {
	subject := words.PluralIs(o.Interfaces, "interface")
	logs := strings.Join(o.FlowLogs[:min(len(o.FlowLogs), maxFlowLogsNamed)], ", ")
	if n := len(o.FlowLogs) - maxFlowLogsNamed; n > 0 {
		logs += fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("%s recorded by more than one flow log at the same time (%s) between %s and %s, in %s: their traffic there counts once per flow log, so the figures that cover it are too high; load the files of one flow log only",
		subject, logs, stamp(o.First), stamp(o.Last), words.Plural(o.Records, "record"))
}

// CheckOverlaps returns the interfaces that more than one flow log recorded at once in the
// filters' window and interface (nil when there are none, or when --where names one of those
// flow logs: the user has chosen among them).
func CheckOverlaps(ctx context.Context, db *sql.DB, f Filters) (*OverlappingLogs, error) {
	conds, args := []string{"true"}, []any{}
	if !f.Since.IsZero() {
		conds, args = append(conds, "last_end >= ?"), append(args, f.Since.Unix())
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, "first_start < ?"), append(args, f.Until.Unix())
	}
	if f.Interface != "" {
		conds, args = append(conds, "interface_id = ?"), append(args, f.Interface)
	}
	var o OverlappingLogs
	var logs []any
	var first, last sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(records), 0), coalesce(list_sort(list_distinct(flatten(list(flow_logs)))), []),
            min(first_start), max(last_end)
        FROM flow_log_overlaps WHERE `+strings.Join(conds, " AND "), args...).Scan(&o.Interfaces, &o.Records, &logs, &first, &last)
	if err != nil || o.Interfaces == 0 || !first.Valid || !last.Valid {
		return nil, err
	}
	for _, l := range logs {
		if s, ok := l.(string); ok {
			o.FlowLogs = append(o.FlowLogs, s)
		}
	}
	if len(o.FlowLogs) == 0 {
		return nil, nil
	}
	for _, l := range o.FlowLogs {
		if strings.Contains(f.Where, l) {
			return nil, nil // the user's condition chooses among the flow logs
		}
	}
	o.First, o.Last = time.Unix(first.Int64, 0).UTC(), time.Unix(last.Int64, 0).UTC()
	return &o, nil
}

// SkippedRecords are the SKIPDATA records in a window: AWS skipped flow records of those
// interfaces in those capture windows (a capacity limit or an internal error), so every
// figure that covers them is low.
type SkippedRecords struct {
	Records, Interfaces int64
	First, Last         time.Time // zero when the records have no start or end
}

// Error says how many, of how many interfaces and when, and what it means.
func (s *SkippedRecords) Error() string {
	where := ""
	if s.Interfaces > 0 {
		where = " of " + words.Plural(s.Interfaces, "interface")
	}
	if !s.First.IsZero() && !s.Last.IsZero() {
		where += fmt.Sprintf(" between %s and %s", stamp(s.First), stamp(s.Last))
	}
	return fmt.Sprintf("%s: AWS skipped flow records%s (a capacity limit or an internal error), so the figures that cover those windows are low; 'flowsql report log-coverage' shows where",
		words.Plural(s.Records, "SKIPDATA record"), where)
}

// WindowEdges are the records that overlap the edges of a --since/--until window: a report
// counts them whole, so their bytes from outside the window count too.
type WindowEdges struct {
	Since, Until time.Time // the window (zero: open)
	Records      int64     // records that begin before Since or end after Until
	// Outside is their bytes from outside the window, each record's bytes taken as spread
	// evenly over its time; Total is the bytes of every record the window takes in.
	Outside, Total float64
}

// Error says how many, how much of the window's bytes lies outside it, and why.
func (e *WindowEdges) Error() string {
	begin, end, count := "begin", "end", "count"
	if e.Records == 1 {
		begin, end, count = "begins", "ends", "counts"
	}
	var edges []string
	if !e.Since.IsZero() {
		edges = append(edges, begin+" before --since "+stamp(e.Since))
	}
	if !e.Until.IsZero() {
		edges = append(edges, end+" after --until "+stamp(e.Until))
	}
	return fmt.Sprintf("%s that %s %s whole, as every record the window overlaps does: about %.1f%% of the bytes counted (%s) lie outside the window by the records' times, "+
		"so its totals are high by about that much (a record spans up to its flow log's aggregation interval, 10 minutes by default: a longer window is cut less)",
		words.Plural(e.Records, "record"), strings.Join(edges, " or "), count, 100*e.Outside/e.Total, words.Bytes(e.Outside))
}

// edgeShare is the part of a window's bytes that records across its edges may bring from
// outside it before a report says so: a day's window takes in at most minutes of records at
// each end, far less.
const edgeShare = 0.01

// checkEdges returns the records across the edges of the filters' window when their bytes
// from outside it are edgeShare or more of the window's (nil otherwise, or with no window).
func checkEdges(ctx context.Context, db *sql.DB, f Filters, summary bool) (*WindowEdges, error) {
	cond, condArgs, err := DuckDB{}.FilterSQL(f, 1)
	if err != nil {
		return nil, err
	}
	args := slices.Clone(condArgs)
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var across, outside []string
	if !f.Since.IsZero() {
		s := param(f.Since.Unix())
		across, outside = append(across, `"start" < `+s), append(outside, fmt.Sprintf(`greatest(%s - "start", 0)`, s))
	}
	if !f.Until.IsZero() {
		u := param(f.Until.Unix())
		across, outside = append(across, `"end" > `+u), append(outside, fmt.Sprintf(`greatest("end" - %s, 0)`, u))
	}
	if len(across) == 0 {
		return nil, nil
	}
	// The records across the edges, which zone maps on start and end find fast.
	e := WindowEdges{Since: f.Since, Until: f.Until}
	err = db.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), coalesce(sum(bytes * least(%s, "end" - "start") / greatest("end" - "start", 1)), 0)
        FROM flow_records WHERE log_status = 'OK'::flow_log_status AND (%s) AND (%s)`, strings.Join(outside, " + "), cond, strings.Join(across, " OR ")),
		args...).Scan(&e.Records, &e.Outside)
	if err != nil || e.Outside <= 0 {
		return nil, err
	}
	// The window's bytes, as the reports add them up (from the hourly summary, mostly).
	sum, sumArgs, err := DuckDB{Summary: summary}.SummarySQL(f, len(condArgs)+1)
	if err != nil {
		return nil, err
	}
	err = db.QueryRowContext(ctx, fmt.Sprintf(`WITH flows AS NOT MATERIALIZED (SELECT * FROM flow_records WHERE %s)
        SELECT coalesce(sum(bytes), 0) FROM (%s) WHERE log_status = 'OK'::flow_log_status`, cond, sum),
		append(slices.Clone(condArgs), sumArgs...)...).Scan(&e.Total)
	if err != nil || e.Total <= 0 || e.Outside < edgeShare*e.Total {
		return nil, err
	}
	return &e, nil
}

// CheckSkipped returns the SKIPDATA records in the filters' window, account and interface
// (nil when there are none). The filters on addresses (--cidr, --where) do not apply: a
// SKIPDATA record has no address, and the records it stands for may have matched them.
func CheckSkipped(ctx context.Context, db *sql.DB, f Filters) (*SkippedRecords, error) {
	return checkSkipped(ctx, db, f, false)
}

// checkSkipped is CheckSkipped, reading flow_hourly instead of the records when it is current
// and no window cuts its hours (a tenth of the rows, or fewer: 0.05 s instead of 0.1 s at 100M
// records).
func checkSkipped(ctx context.Context, db *sql.DB, f Filters, summary bool) (*SkippedRecords, error) {
	var some bool
	if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(skipdata), 0) > 0 FROM ingested_files WHERE target = 'flows'`).Scan(&some); err != nil || !some {
		return nil, err
	}
	from, records, cond, args, err := countedRecords(f, summary)
	if err != nil {
		return nil, err
	}
	var s SkippedRecords
	var first, last sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT `+records+`, count(DISTINCT interface_id), min("start"), max("end") FROM `+from+`
        WHERE log_status = 'SKIPDATA'::flow_log_status AND `+cond, args...).Scan(&s.Records, &s.Interfaces, &first, &last)
	if err != nil || s.Records == 0 {
		return nil, err
	}
	if first.Valid && last.Valid {
		s.First, s.Last = time.Unix(first.Int64, 0).UTC(), time.Unix(last.Int64, 0).UTC()
	}
	return &s, nil
}

// countedRecords is where checkSkipped and oddTimes count records under the filters of time,
// account and interface: flow_hourly (records counted as sum(records)) when it is current and
// no window cuts its hours, else flow_records (count(*)); with the condition of the filters and
// its arguments ($1 on).
func countedRecords(f Filters, summary bool) (from, records, cond string, args []any, err error) {
	cond, args, err = filterSQL(Filters{Since: f.Since, Until: f.Until, Account: f.Account, Interface: f.Interface}, 1, nil, nil)
	from, records = "flow_records", "count(*)"
	if summary && f.Since.IsZero() && f.Until.IsZero() {
		from, records = "flow_hourly", "coalesce(sum(records), 0)"
	}
	return from, records, cond, args, err
}

// CheckWindow returns an *EmptyWindow when the filters' time window holds none of the VPC flow
// records loaded (nil when it holds some, or when there is no window or no record).
func CheckWindow(ctx context.Context, db *sql.DB, f Filters) (*EmptyWindow, error) {
	if f.Since.IsZero() && f.Until.IsZero() {
		return nil, nil
	}
	first, last, err := loadedSpan(ctx, db)
	if err != nil {
		return nil, err
	}
	return emptyWindow(f, first, last), nil
}

// emptyWindow is CheckWindow's answer for records loaded from first to last.
func emptyWindow(f Filters, first, last sql.NullTime) *EmptyWindow {
	if !first.Valid || (f.Since.IsZero() || !last.Time.Before(f.Since)) && (f.Until.IsZero() || first.Time.Before(f.Until)) {
		return nil
	}
	return &EmptyWindow{Since: f.Since, Until: f.Until, First: first.Time, Last: last.Time}
}

// oddRecords says when files that the window reaches hold records with values no record can
// have ("" when none do): a port outside 0-65535, negative bytes, a time before VPC Flow Logs
// began. The load keeps them as they are and lists them in load_errors; a figure that counts
// them can be far off (one record of 1970 stretches a rate over 54 years). It counts by file,
// not by record: a file's odd records may lie outside the window.
func oddRecords(ctx context.Context, db *sql.DB, f Filters) (string, error) {
	var records, files sql.NullInt64
	err := db.QueryRowContext(ctx, `
        SELECT sum(rows_suspicious), count(*) FROM ingested_files
        WHERE target = 'flows' AND rows_suspicious > 0
          AND ($1::TIMESTAMP IS NULL OR last_end IS NULL OR last_end >= $1::TIMESTAMP)
          AND ($2::TIMESTAMP IS NULL OR first_start IS NULL OR first_start < $2::TIMESTAMP)
          AND ($3::VARCHAR IS NULL OR account IS NULL OR account = $3::VARCHAR)`,
		nullTime(f.Since), nullTime(f.Until), nullString(f.Account)).Scan(&records, &files)
	if err != nil || !records.Valid || records.Int64 == 0 {
		return "", err
	}
	where := "the files loaded"
	if !f.Since.IsZero() || !f.Until.IsZero() {
		where = "the files loaded that the window reaches"
	}
	return fmt.Sprintf("%s (%s) hold %s with values no record can have (a port outside 0-65535, negative bytes, a time before VPC Flow Logs began, ...), "+
		"loaded as they are: any that these figures count can put them far off; 'flowsql report load-errors' lists them",
		where, words.Count(files.Int64), words.Plural(records.Int64, "record")), nil
}

// oddTimes says how many of the records that the filters select a time series leaves out
// ("" when none): those whose start or end no record can have (record_time: before VPC Flow
// Logs began, or after tomorrow; a time in milliseconds, say), which would put a bucket
// millennia away. It reads the summary when it is current and no window cuts its hours.
func oddTimes(ctx context.Context, db *sql.DB, f Filters, summary bool) (string, error) {
	from, records, cond, args, err := countedRecords(f, summary)
	if err != nil {
		return "", err
	}
	var n, traffic int64
	err = db.QueryRowContext(ctx, `SELECT `+records+`, coalesce(sum(bytes) FILTER (WHERE log_status = 'OK'::flow_log_status), 0) FROM `+from+`
        WHERE NOT (record_time("start") AND record_time("end")) AND `+cond, args...).Scan(&n, &traffic)
	if err != nil || n == 0 {
		return "", err
	}
	return fmt.Sprintf("the series leaves out %s whose start or end no record can have (before VPC Flow Logs began, or after tomorrow: in milliseconds, say), %s: "+
		"their time is not known", words.Plural(n, "record"), words.Bytes(float64(traffic))), nil
}

// staleAfter is how long after the records' end the first snapshot of the interfaces may be
// taken before a report that names interfaces by address says that they may have changed.
const staleAfter = 7 * 24 * time.Hour

// staleInterfaces says, for a report that names the interface behind each address (from the
// eni table that flowsql enrich eni fills), when every snapshot of the interfaces was taken
// more than a week after the records it reads end ("" otherwise): an address that an instance
// gave up since may be named by the interface that holds it now.
func staleInterfaces(ctx context.Context, db *sql.DB, f Filters) (string, error) {
	var first, end sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT (SELECT min(first_seen) FROM eni), (SELECT max(last_end) FROM ingested_files WHERE target = 'flows')`).Scan(&first, &end); err != nil {
		return "", err
	}
	if !f.Until.IsZero() && end.Valid && f.Until.Before(end.Time) {
		end.Time = f.Until
	}
	if !first.Valid || !end.Valid || first.Time.Sub(end.Time) <= staleAfter {
		return "", nil
	}
	return fmt.Sprintf("the interfaces are named from flowsql enrich eni as of %s, %s after the records end (%s): an address that changed hands since "+
		"(instances replaced, by an Auto Scaling group say) is named by the interface that holds it now", stamp(first.Time), span(first.Time.Sub(end.Time)), stamp(end.Time)), nil
}

// loadedSpan is the earliest start and the latest end of the VPC flow records loaded.
func loadedSpan(ctx context.Context, db *sql.DB) (first, last sql.NullTime, err error) {
	err = db.QueryRowContext(ctx, `SELECT min(first_start), max(last_end) FROM ingested_files WHERE target = 'flows'`).Scan(&first, &last)
	return first, last, err
}

// coverageSlack is how far the records loaded may begin after --since, or end before --until,
// before a report says that they cover less than the window: files hold 5 minutes (or an
// hour) of records, and logs arrive minutes late.
const coverageSlack = time.Hour

// coverageGap says when the records loaded, from first to last, begin well after --since or
// end well before --until ("" when they cover the window, or there is none): a total over the
// window is then a total over less.
func coverageGap(f Filters, first, last sql.NullTime) string {
	if !first.Valid || !last.Valid {
		return ""
	}
	var gaps []string
	if !f.Since.IsZero() && first.Time.Sub(f.Since) > coverageSlack {
		gaps = append(gaps, fmt.Sprintf("begin at %s, %s after --since %s", stamp(first.Time), span(first.Time.Sub(f.Since)), stamp(f.Since)))
	}
	if !f.Until.IsZero() && f.Until.Sub(last.Time) > coverageSlack {
		gaps = append(gaps, fmt.Sprintf("end at %s, %s before --until %s", stamp(last.Time), span(f.Until.Sub(last.Time)), stamp(f.Until)))
	}
	if len(gaps) == 0 {
		return ""
	}
	return "the records loaded " + strings.Join(gaps, " and ") + ": this report's figures cover only that part of the window (load the rest, or narrow the window)"
}

// maxFileGap is how long the VPC files loaded may hold no record, between the records before
// and after, before a report says that files may be missing: a flow log writes a file every
// five minutes or so, NODATA records of idle interfaces included, and a record spans its
// capture window (at most 10 minutes).
const maxFileGap = 30 * time.Minute

// maxGapsNamed is how many such gaps a note names.
const maxGapsNamed = 3

// innerGaps says when the VPC files loaded, in the filters' window, hold no record for more
// than maxFileGap between records ("" when there is no such gap): files missing there leave
// every figure that spans them low. It reads the files' spans, not the records.
func innerGaps(ctx context.Context, db *sql.DB, f Filters) (string, error) {
	conds, args := []string{"target = 'flows'", "first_start IS NOT NULL", "last_end IS NOT NULL"}, []any{}
	if !f.Since.IsZero() {
		conds, args = append(conds, "last_end >= ?"), append(args, f.Since.UTC())
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, "first_start < ?"), append(args, f.Until.UTC())
	}
	rows, err := db.QueryContext(ctx, `WITH spans AS (
            SELECT CAST(epoch(first_start) AS BIGINT) AS first_start, CAST(epoch(last_end) AS BIGINT) AS last_end
            FROM ingested_files WHERE `+strings.Join(conds, " AND ")+`
        ),
        reached AS (
            SELECT first_start, max(last_end) OVER (ORDER BY first_start, last_end ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
            FROM spans
        )
        SELECT reach, first_start FROM reached WHERE first_start - reach > ? ORDER BY reach`, append(args, int64(maxFileGap/time.Second))...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var named []string
	var n int
	var total time.Duration
	for rows.Next() {
		var from, to int64
		if err := rows.Scan(&from, &to); err != nil {
			return "", err
		}
		n++
		total += time.Duration(to-from) * time.Second
		if len(named) < maxGapsNamed {
			named = append(named, fmt.Sprintf("%s to %s", stamp(time.Unix(from, 0)), stamp(time.Unix(to, 0))))
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		return "", err
	}
	if n > len(named) {
		named = append(named, fmt.Sprintf("and %d more", n-len(named)))
	}
	return fmt.Sprintf("the flow-log files loaded hold no record for %s, in %s (%s): unless no interface was logging then, files are missing there, and the figures that span them are low",
		span(total), words.Plural(int64(n), "gap"), strings.Join(named, ", ")), nil
}

// span writes a duration in days, hours and minutes.
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d d", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%d h", hours))
	}
	if mins > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d min", mins))
	}
	return strings.Join(parts, " ")
}

// EmptyWindow says that no loaded record falls in the time window a report asked for.
type EmptyWindow struct {
	Since, Until time.Time // the window (zero where open)
	First, Last  time.Time // what the database holds
}

func (w *EmptyWindow) Error() string {
	var window string
	switch {
	case w.Until.IsZero():
		window = "since " + stamp(w.Since)
	case w.Since.IsZero():
		window = "before " + stamp(w.Until)
	default:
		window = "between " + stamp(w.Since) + " and " + stamp(w.Until)
	}
	return fmt.Sprintf("no record falls %s: the database holds records from %s to %s", window, stamp(w.First), stamp(w.Last))
}

// readFormats reads the flow_formats view for VPC flow records.
func readFormats(ctx context.Context, db *sql.DB) ([]format, error) {
	rows, err := db.QueryContext(ctx, `SELECT fields, files, records FROM flow_formats WHERE target = 'flows'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []format
	for rows.Next() {
		var ft format
		var fields []any
		if err := rows.Scan(&fields, &ft.files, &ft.records); err != nil {
			return nil, err
		}
		for _, v := range fields {
			if s, ok := v.(string); ok {
				ft.fields = append(ft.fields, s)
			}
		}
		out = append(out, ft)
	}
	return out, rows.Err()
}

// stamp writes a time as reports show it: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// nullTime is a time for a SQL parameter: NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// nullString is a text for a SQL parameter: NULL when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
