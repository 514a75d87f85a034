package nat

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/queries"
)

// knownGateway is a row of nat-gateways: a NAT gateway's interface in the eni table.
type knownGateway struct {
	Address     string `col:"address"`
	InterfaceID string `col:"interface_id"`
	GatewayID   string `col:"nat_gateway_id"`
	AZ          string `col:"az"`
	Region      string `col:"region"`
	Account     string `col:"account_id"`
}

// candidate is a row of nat-candidates: an interface that translates addresses.
type candidate struct {
	Address     string `col:"address"`
	InterfaceID string `col:"interface_id"`
}

// find returns the gateways: those given, or those of the eni table, or those the records show.
func (r *runner) find(ctx context.Context) ([]*Gateway, error) {
	out, err := r.run(ctx, nil, "nat-gateways", nil)
	if err != nil {
		return nil, err
	}
	rows, err := queries.Scan[knownGateway](out.Result)
	if err != nil {
		return nil, err
	}
	var known []*Gateway // the eni table's
	for _, k := range rows {
		if a := r.opts.Filters.Account; a != "" && k.Account != "" && k.Account != a {
			continue // --account asks about another account's gateways
		}
		known = append(known, &Gateway{Address: k.Address, InterfaceID: k.InterfaceID, NATGatewayID: k.GatewayID,
			AZ: k.AZ, Region: k.Region, FoundBy: "eni table (flowsql enrich eni)", Evidence: "confirmed"})
	}
	if len(r.opts.NATIPs) > 0 {
		var gws []*Gateway
		for _, ip := range r.opts.NATIPs {
			a, err := netip.ParseAddr(ip)
			if err != nil || !a.Is4() {
				return nil, fmt.Errorf("--nat-ip %q is not an IPv4 address: give the NAT gateway's private address", ip)
			}
			// Every gateway the eni table knows at the address (accounts and VPCs may reuse
			// it), else the interface the records show.
			var found []*Gateway
			for _, k := range known {
				if k.Address == a.String() {
					gw := *k
					found = append(found, &gw)
				}
			}
			if len(found) == 0 {
				gw := &Gateway{Address: a.String()}
				if err := r.fillFromRecords(ctx, gw); err != nil {
					return nil, err
				}
				found = append(found, gw)
			}
			for _, gw := range found {
				gw.FoundBy = "--nat-ip"
				if err := r.checkEvidence(ctx, gw); err != nil {
					return nil, err
				}
				gws = append(gws, gw)
			}
		}
		return gws, nil
	}
	if len(known) > 0 {
		return known, nil
	}
	noGateway := fmt.Errorf("%w: record the VPC's interfaces with 'flowsql enrich eni', or pass --nat-ip with the gateway's private address (often the top destination: flowsql report top-destinations)", ErrNoGateway)
	out, err = r.run(ctx, nil, "nat-candidates", queries.Values{"limit": "10"})
	var mf *queries.MissingFieldError
	if errors.As(err, &mf) {
		return nil, noGateway // without pkt-dstaddr the records cannot show address translation
	}
	if err != nil {
		return nil, err
	}
	cands, err := queries.Scan[candidate](out.Result)
	if err != nil {
		return nil, err
	}
	var gws []*Gateway
	for _, c := range cands {
		gws = append(gws, &Gateway{Address: c.Address, InterfaceID: c.InterfaceID, Evidence: "confirmed",
			FoundBy: "the records: packets to its address carry other pkt-dstaddr (address translation)"})
	}
	if len(gws) == 0 && out.NoRecords != "" {
		return nil, fmt.Errorf("%w: %s", ErrNoGateway, out.NoRecords)
	}
	if len(gws) == 0 && len(out.Unmatched) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoGateway, strings.Join(out.Unmatched, "; "))
	}
	if len(gws) == 0 {
		return nil, noGateway
	}
	return gws, nil
}

// natInterface is the row of nat-interface: the interface that logs a gateway's records.
type natInterface struct {
	InterfaceID string `col:"interface_id"`
	Records     int64  `col:"records"`
	AZ          string `col:"az"`
	Region      string `col:"region"`
	Account     string `col:"account_id"`
	VPC         string `col:"vpc_id"`
}

// fillFromRecords completes a gateway from its records: the interface that logs the most
// records addressed to it, with their zone and region.
func (r *runner) fillFromRecords(ctx context.Context, gw *Gateway) error {
	out, err := r.run(ctx, gw, "nat-interface", queries.Values{"nat": gw.Address})
	if err != nil {
		return err
	}
	rows, err := queries.Scan[natInterface](out.Result)
	if err != nil {
		return err
	}
	gw.filled = true
	if len(rows) == 0 && len(out.Unmatched) > 0 {
		return fmt.Errorf("%w at %s: %s", ErrNoGateway, gw.Address, strings.Join(out.Unmatched, "; "))
	}
	if len(rows) == 0 {
		return fmt.Errorf("%w at %s: no record in the period is addressed to it. Is it the gateway's private address (flowsql report top-destinations lists the busiest addresses)? "+
			"Do the flow logs cover the gateway's interface? Instances address their packets to the destination, not to the gateway: only the gateway's own interface logs its address, so flow logs of the private subnets alone never show it (add a flow log on the gateway's subnet, or the VPC)", ErrNoGateway, gw.Address)
	}
	// The gateway's own row: the one of its interface when that is known (a gateway found
	// by its records, or in the eni table), else the one with the most records.
	var v natInterface
	if gw.InterfaceID == "" {
		v = rows[0]
		gw.InterfaceID = v.InterfaceID
	}
	for _, o := range rows {
		if o.InterfaceID == gw.InterfaceID {
			v = o
		}
	}
	if gw.AZ == "" {
		gw.AZ = v.AZ
	}
	if gw.Region == "" {
		gw.Region = v.Region
	}
	if len(rows) > 1 {
		gw.Account = v.Account // which of the gateways at the address this is
	}
	// The same private address in other accounts or VPCs is another host (templated VPCs
	// often give every NAT gateway the same one): say so, and how to analyse it.
	for _, o := range rows {
		if o.InterfaceID == gw.InterfaceID {
			continue
		}
		var where []string
		if o.Account != "" {
			where = append(where, "account "+o.Account)
		}
		if o.VPC != "" {
			where = append(where, o.VPC)
		}
		how := "--account " + o.Account + " --nat-ip " + gw.Address + " analyses that one"
		switch {
		case r.interfaces[o.InterfaceID]:
			how = "that one has an analysis of its own here"
		case o.Account == "":
			how = "load that VPC's logs into a database of their own to analyse it"
		}
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s is also the address of interface %s (%s), which logs %s addressed to it: a host of another account or VPC with the same private address, perhaps its NAT gateway. This analysis covers %s only; %s.",
			gw.Address, o.InterfaceID, strings.Join(where, ", "), words.Plural(o.Records, "record"), gw.InterfaceID, how))
	}
	return nil
}

// evidence is the row of nat-evidence.
type evidence struct {
	Records       int64  `col:"records"`
	WithPkt       int64  `col:"with_pkt"`
	Translated    int64  `col:"translated"`
	InterfaceType string `col:"interface_type"`
	InterfaceName string `col:"interface_name"`
}

// checkEvidence weighs what says that an address given with --nat-ip is a NAT gateway: the
// eni table's interface type, and address translation in the records addressed to it (a
// pkt-dstaddr other than the address). Where they disagree, the figures are still computed,
// and the notes say so first.
func (r *runner) checkEvidence(ctx context.Context, gw *Gateway) error {
	e, _, err := scanOne[evidence](ctx, r, gw, "nat-evidence", queries.Values{"nat": gw.Address, "nat_eni": gw.InterfaceID})
	var mf *queries.MissingFieldError
	if errors.As(err, &mf) {
		e, err = evidence{}, nil
	}
	if err != nil {
		return err
	}
	var notes []string
	switch {
	case e.InterfaceType != "" && e.InterfaceType != "nat_gateway":
		gw.Evidence = "contradicted"
		what := e.InterfaceType
		if e.InterfaceName != "" {
			what += ", " + e.InterfaceName
		}
		notes = append(notes, fmt.Sprintf("The eni table says that %s's interface %s is not a NAT gateway (%s): these figures treat it as one only because --nat-ip names it.",
			gw.Address, gw.InterfaceID, what))
	case e.InterfaceType == "nat_gateway":
		gw.Evidence = "confirmed"
	}
	switch {
	case e.WithPkt > 0 && e.Translated == 0:
		gw.Evidence = "contradicted"
		notes = append(notes, fmt.Sprintf("None of the %d records addressed to %s on %s shows address translation (each pkt-dstaddr is %s itself), as a NAT gateway's records would: it does not behave as one.",
			e.WithPkt, gw.Address, gw.InterfaceID, gw.Address))
	case e.Translated > 0 && gw.Evidence == "":
		gw.Evidence = "confirmed"
	}
	if gw.Evidence == "" {
		gw.Evidence = "unchecked"
		notes = append(notes, fmt.Sprintf("Nothing here confirms that %s is a NAT gateway: the logs have no pkt-dstaddr to show address translation, and the eni table does not know its interface (flowsql enrich eni records it).",
			gw.Address))
	}
	gw.Notes = append(notes, gw.Notes...)
	return nil
}
