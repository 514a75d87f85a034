package queries

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// A report's arguments come as flags: "flowsql report NAME --dst 10.0.1.5 --since 24h" and the
// shell's ".run NAME --dst 10.0.1.5 --since 24h" parse them with the same flag set, built here
// from the query's declared parameters and the common filters.

// ParamFlags binds a query's parameters to flags: --name (underscores become hyphens), with the
// parameter's description as its help and its type as the placeholder (--dst ADDR).
type ParamFlags struct {
	fs     *flag.FlagSet
	params map[string]string // flag name -> parameter name
}

// BindParams registers a flag for each of a query's parameters on fs. Register the command's
// own flags first: a parameter whose flag fs already has is an error.
func BindParams(fs *flag.FlagSet, q *Query) (*ParamFlags, error) {
	p := &ParamFlags{fs: fs, params: map[string]string{}}
	for _, prm := range q.Params {
		name := strings.TrimPrefix(FlagName(prm.Name), "--")
		if fs.Lookup(name) != nil {
			return nil, fmt.Errorf("report %s: its parameter $%s would be the flag --%s, which %s has already: rename the parameter in the report file",
				q.Name, prm.Name, name, fs.Name())
		}
		usage := prm.Description + " (`" + Placeholder(prm) + "`"
		if prm.Type == "choice" {
			usage += ": " + strings.Join(prm.Choices, ", ")
		}
		if prm.Required() {
			usage += ", required"
		}
		usage += ")"
		fs.String(name, prm.Default, usage)
		p.params[name] = prm.Name
	}
	return p, nil
}

// FlagName is the flag of a parameter (or filter) name: underscores become hyphens, and "--"
// goes before it, as help, errors and notes write it ("nat_eni" is --nat-eni).
func FlagName(param string) string { return "--" + strings.ReplaceAll(param, "_", "-") }

// Placeholder is what a parameter's value is called in help: ADDR, N, INTERVAL, ...
func Placeholder(p Param) string {
	switch p.Type {
	case "int":
		return "N"
	case "choice":
		return strings.ToUpper(p.Name)
	}
	return strings.ToUpper(p.Type)
}

// Values returns the parameters given on the command line (those left out take their
// defaults when the statement is bound).
func (p *ParamFlags) Values() Values {
	vals := Values{}
	p.fs.Visit(func(f *flag.Flag) {
		if name, ok := p.params[f.Name]; ok {
			vals[name] = f.Value.String()
		}
	})
	return vals
}

// FilterFlags are the common filters of the reports that read flow records, as flags.
type FilterFlags struct {
	since, until, account, iface, cidr, where string
}

// Register adds --since, --until, --account, --interface, --cidr and --where to fs.
func (f *FilterFlags) Register(fs *flag.FlagSet) {
	f.RegisterWindow(fs)
	fs.StringVar(&f.account, "account", "", "only records of this AWS account `ID`")
	fs.StringVar(&f.iface, "interface", "", "only records of this network `ENI` (eni-...)")
	fs.StringVar(&f.cidr, "cidr", "", "only records whose source or destination is in this `CIDR`")
	fs.StringVar(&f.where, "where", "", "only records that meet this SQL `CONDITION` on the flows columns")
}

// RegisterWindow adds only --since and --until to fs.
func (f *FilterFlags) RegisterWindow(fs *flag.FlagSet) {
	fs.StringVar(&f.since, "since", "", "only records that end at or after `TIME` (RFC 3339, a date, or how long ago: 24h, 7d)")
	fs.StringVar(&f.until, "until", "", "only records that start before `TIME`")
}

// Filters returns the filters given; relative times count back from now. A time that does not
// parse, or an --until that is not after --since, is an *ArgError.
func (f *FilterFlags) Filters(now time.Time) (Filters, error) {
	out, err := ParseWindow(f.since, f.until, now)
	out.Account, out.Interface, out.CIDR, out.Where = f.account, f.iface, f.cidr, f.where
	return out, err
}

// ParseWindow reads a time window from the text of --since and --until ("" leaves that end
// open; relative times count back from now). A time that does not parse, or an until that is
// not after since, is an *ArgError.
func ParseWindow(since, until string, now time.Time) (Filters, error) {
	var out Filters
	var err error
	if since != "" {
		if out.Since, err = ParseTime(since, now); err != nil {
			return out, &ArgError{Param: "since", Msg: err.Error()}
		}
	}
	if until != "" {
		if out.Until, err = ParseTime(until, now); err != nil {
			return out, &ArgError{Param: "until", Msg: err.Error()}
		}
	}
	if !out.Since.IsZero() && !out.Until.IsZero() && !out.Until.After(out.Since) {
		return out, &ArgError{Param: "until", Msg: fmt.Sprintf("%s is not after --since %s", out.Until.Format(time.RFC3339), out.Since.Format(time.RFC3339))}
	}
	return out, nil
}
