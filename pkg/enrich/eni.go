package enrich

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// EC2API is the part of an EC2 client that the ENI snapshot uses; *ec2.Client has it.
type EC2API interface {
	DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, opts ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
}

// ENISummary is what a snapshot found.
type ENISummary struct {
	Interfaces int // interfaces described
	Addresses  int // addresses (rows) they have
	New        int // addresses not seen before
	Pages      int
	ByType     map[string]int // interfaces by interface type
}

// eniRow is one address of one interface.
type eniRow struct {
	interfaceID, address                                 string
	primary                                              bool
	publicIP, ifType, description, requesterID           *string
	requesterManaged                                     bool
	instanceID, subnetID, vpcID, az, azID, status, owner *string
	groups                                               []string
	tagKeys, tagValues                                   []string
}

// SnapshotENIs describes every network interface of the client's region (page by page) and
// records them in the eni table: addresses seen before get their attributes and last_seen
// updated, new ones are added, and interfaces no longer there keep their rows.
func SnapshotENIs(ctx context.Context, db *sql.DB, client EC2API, region string) (*ENISummary, error) {
	return SnapshotENIsAt(ctx, db, client, region, time.Now())
}

// SnapshotENIsAt is SnapshotENIs with the time the snapshot is taken at given.
func SnapshotENIsAt(ctx context.Context, db *sql.DB, client EC2API, region string, at time.Time) (*ENISummary, error) {
	sum := &ENISummary{ByType: map[string]int{}}
	var rows []eniRow
	p := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, ec2Error(err)
		}
		sum.Pages++
		for _, ni := range page.NetworkInterfaces {
			sum.Interfaces++
			sum.ByType[string(ni.InterfaceType)]++
			rows = append(rows, interfaceRows(ni)...)
		}
	}
	sum.Addresses = len(rows)
	now := at.UTC().Truncate(time.Microsecond)
	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE eni_snapshot AS SELECT * FROM eni WHERE false`); err != nil {
		return nil, err
	}
	for _, r := range rows {
		_, err := tx.ExecContext(ctx, `INSERT INTO temp.eni_snapshot VALUES
            (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, map(?::VARCHAR[], ?::VARCHAR[]), ?, ?, ?, ?, ?)`,
			r.interfaceID, r.address, r.primary, r.publicIP, r.ifType, r.description, r.requesterID, r.requesterManaged,
			r.instanceID, r.subnetID, r.vpcID, r.az, r.azID, r.groups, r.tagKeys, r.tagValues, r.status, r.owner, region, now, now)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", r.interfaceID, err)
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM temp.eni_snapshot s
        WHERE NOT EXISTS (SELECT 1 FROM eni e WHERE e.interface_id = s.interface_id AND e.address = s.address)`).Scan(&sum.New); err != nil {
		return nil, err
	}
	stmts := []string{
		`UPDATE eni SET primary_address = s.primary_address, public_ip = s.public_ip, interface_type = s.interface_type,
            description = s.description, requester_id = s.requester_id, requester_managed = s.requester_managed,
            instance_id = s.instance_id, subnet_id = s.subnet_id, vpc_id = s.vpc_id, availability_zone = s.availability_zone,
            availability_zone_id = s.availability_zone_id, security_groups = s.security_groups, tags = s.tags,
            status = s.status, owner_id = s.owner_id, region = s.region, last_seen = s.last_seen
         FROM temp.eni_snapshot s WHERE eni.interface_id = s.interface_id AND eni.address = s.address`,
		`INSERT INTO eni SELECT * FROM temp.eni_snapshot s
         WHERE NOT EXISTS (SELECT 1 FROM eni e WHERE e.interface_id = s.interface_id AND e.address = s.address)`,
		`DROP TABLE temp.eni_snapshot`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	return sum, tx.Commit()
}

// interfaceRows turns an interface into one row per address: its private IPv4 addresses
// (primary and secondary) and its IPv6 addresses.
func interfaceRows(ni types.NetworkInterface) []eniRow {
	base := eniRow{
		interfaceID: aws.ToString(ni.NetworkInterfaceId), description: ni.Description, requesterID: ni.RequesterId,
		requesterManaged: aws.ToBool(ni.RequesterManaged), subnetID: ni.SubnetId, vpcID: ni.VpcId,
		az: ni.AvailabilityZone, azID: ni.AvailabilityZoneId, owner: ni.OwnerId,
	}
	t, st := string(ni.InterfaceType), string(ni.Status)
	base.ifType, base.status = &t, &st
	if ni.Attachment != nil && ni.Attachment.InstanceId != nil {
		base.instanceID = ni.Attachment.InstanceId
	}
	var primaryPublic *string
	if ni.Association != nil {
		primaryPublic = ni.Association.PublicIp
	}
	for _, g := range ni.Groups {
		base.groups = append(base.groups, aws.ToString(g.GroupId))
	}
	for _, tag := range ni.TagSet {
		base.tagKeys = append(base.tagKeys, aws.ToString(tag.Key))
		base.tagValues = append(base.tagValues, aws.ToString(tag.Value))
	}
	var out []eniRow
	seen := map[string]bool{}
	add := func(addr string, primary bool, public *string) {
		if a, err := netip.ParseAddr(addr); err == nil {
			addr = a.String()
		}
		if addr == "" || seen[addr] {
			return
		}
		seen[addr] = true
		r := base
		r.address, r.primary, r.publicIP = addr, primary, public
		r.groups, r.tagKeys, r.tagValues = slices.Clone(base.groups), slices.Clone(base.tagKeys), slices.Clone(base.tagValues)
		out = append(out, r)
	}
	for _, p := range ni.PrivateIpAddresses {
		public := (*string)(nil)
		if p.Association != nil {
			public = p.Association.PublicIp
		} else if aws.ToBool(p.Primary) {
			public = primaryPublic
		}
		add(aws.ToString(p.PrivateIpAddress), aws.ToBool(p.Primary), public)
	}
	if ni.PrivateIpAddress != nil {
		add(*ni.PrivateIpAddress, true, primaryPublic) // when PrivateIpAddresses left it out
	}
	for _, a := range ni.Ipv6Addresses {
		add(aws.ToString(a.Ipv6Address), aws.ToBool(a.IsPrimaryIpv6), nil)
	}
	return out
}

// ec2Error says what to do about a failed DescribeNetworkInterfaces, keeping AWS's error code.
func ec2Error(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException":
			return fmt.Errorf("describe network interfaces: access denied (%s): the credentials in use need ec2:DescribeNetworkInterfaces", ae.ErrorCode())
		case "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "RequestExpired":
			return fmt.Errorf("describe network interfaces: the AWS credentials were refused (%s): check AWS_PROFILE or the access keys", ae.ErrorCode())
		case "OptInRequired":
			return fmt.Errorf("describe network interfaces: the account has not enabled this region (%s)", ae.ErrorCode())
		}
	}
	return fmt.Errorf("describe network interfaces: %w", err)
}
