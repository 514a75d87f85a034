package ingest

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind says which table a format's records load into.
type Kind int

const (
	// VPC flow logs load into the flows table.
	VPC Kind = iota
	// TransitGateway flow logs load into the tgw_flows table.
	TransitGateway
	// ResolverQueries are Route 53 Resolver query logs, which load into dns_queries.
	ResolverQueries
)

// Table is the name of the table that records of this kind load into.
func (k Kind) Table() string {
	switch k {
	case TransitGateway:
		return "tgw_flows"
	case ResolverQueries:
		return ResolverTable
	}
	return "flows"
}

func (k Kind) String() string {
	switch k {
	case TransitGateway:
		return "transit-gateway"
	case ResolverQueries:
		return "route53-resolver"
	}
	return "vpc"
}

// A Format is the ordered list of fields of a flow log's records.
type Format struct {
	Kind   Kind
	Fields []Field
}

// String returns the format as a header line: the field names separated by spaces.
func (f Format) String() string {
	names := make([]string, len(f.Fields))
	for i, fd := range f.Fields {
		names[i] = fd.Name
	}
	return strings.Join(names, " ")
}

// Has reports whether the format has the field with this name.
func (f Format) Has(name string) bool {
	for _, fd := range f.Fields {
		if fd.Name == name {
			return true
		}
	}
	return false
}

// Presets are the format strings a user may pass by name instead of spelling out the fields.
var Presets = map[string]string{
	// default: the 14 version-2 fields, the format of a flow log created without a format.
	"default": fieldList(vpcFields[:14]),
	// all: every VPC field of versions 2 to 8 in documented order (the console's "all fields").
	"all": fieldList(vpcFields),
	// tgw: every Transit Gateway field in documented order, a Transit Gateway log's default.
	"tgw": fieldList(tgwFields),
}

func fieldList(fields []Field) string {
	return Format{Fields: fields}.String()
}

var (
	fieldNamePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	formatVarPattern = regexp.MustCompile(`^\$\{([a-z0-9-]+)\}$`)
)

// ParseHeader turns the header line of a flow-log file into its Format. It fails when the
// line is not a header: when any word is not a field name, or when no word is a field that
// flowsql knows.
func ParseHeader(line string) (Format, error) {
	names := strings.Fields(line)
	if len(names) == 0 {
		return Format{}, fmt.Errorf("empty header line")
	}
	known := 0
	for _, n := range names {
		if !fieldNamePattern.MatchString(n) {
			return Format{}, fmt.Errorf("not a header line: %q is not a field name", clip(n, 40))
		}
		if _, ok := vpcByName[n]; ok {
			known++
		} else if _, ok := tgwByName[n]; ok {
			known++
		}
	}
	if known == 0 {
		return Format{}, fmt.Errorf("not a header line: none of its words is a flow-log field")
	}
	return newFormat(names)
}

// ParseFormatString parses a format the way `aws ec2 describe-flow-logs` prints it
// ("${version} ${account-id} ..."), a plain list of field names, or the name of a preset
// ("default", "all", "tgw").
func ParseFormatString(s string) (Format, error) {
	s = strings.TrimSpace(s)
	if p, ok := Presets[s]; ok {
		s = p
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return Format{}, fmt.Errorf("empty format: give fields like '${version} ${account-id} ...' or a preset (default, all, tgw)")
	}
	names := make([]string, len(words))
	for i, w := range words {
		if m := formatVarPattern.FindStringSubmatch(w); m != nil {
			w = m[1]
		}
		if !fieldNamePattern.MatchString(w) {
			return Format{}, fmt.Errorf("format word %d, %q, is not a field: write fields as ${field-name}", i+1, clip(w, 40))
		}
		names[i] = w
	}
	return newFormat(names)
}

// newFormat resolves field names to fields, deciding between a VPC and a Transit Gateway log.
func newFormat(names []string) (Format, error) {
	kind := VPC
	for _, n := range names {
		if tgwOnly[n] {
			kind = TransitGateway
			break
		}
	}
	registry := vpcByName
	if kind == TransitGateway {
		registry = tgwByName
	}
	f := Format{Kind: kind, Fields: make([]Field, 0, len(names))}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return Format{}, fmt.Errorf("field %q appears twice", n)
		}
		seen[n] = true
		fd, ok := registry[n]
		if !ok {
			fd = Field{Name: n, Column: columnName(n), Type: typeText}
			if derivedColumns[fd.Column] {
				fd.Column += "_field"
			}
		}
		f.Fields = append(f.Fields, fd)
	}
	return f, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
