package fakeaws

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/flowsql/flowsql/internal/flowgen"
)

// CloudWatch answers GetMetricData for the AWS/NATGateway metrics of the gateways it holds, in
// the protocol the SDK speaks to CloudWatch (Smithy RPC v2 CBOR, query-compatible errors):
// datapoints by hour, PageSize datapoints a page with a NextToken, and errors on demand.
type CloudWatch struct {
	// Hours are each gateway's metrics, by NAT gateway ID.
	Hours    map[string][]flowgen.NATHour
	PageSize int
	// Throttle is how many of the next requests get a Throttling error; Deny makes every
	// request fail with AccessDenied.
	Throttle atomic.Int64
	Deny     atomic.Bool
	Requests atomic.Int64
	mu       sync.Mutex
}

// NewCloudWatch serves the metrics of one gateway.
func NewCloudWatch(gateway string, hours []flowgen.NATHour) *CloudWatch {
	return &CloudWatch{Hours: map[string][]flowgen.NATHour{gateway: hours}, PageSize: 7}
}

// natMetric reads one metric of an hour, as CloudWatch's Sum (bytes) or Maximum (connections).
func natMetric(h flowgen.NATHour, name string) (float64, bool) {
	switch name {
	case "BytesInFromSource":
		return float64(h.BytesInFromSource), true
	case "BytesInFromDestination":
		return float64(h.BytesInFromDestination), true
	case "BytesOutToSource":
		return float64(h.BytesOutToSource), true
	case "BytesOutToDestination":
		return float64(h.BytesOutToDestination), true
	case "ActiveConnectionCount":
		return float64(h.MaxActiveConnectionCount), true
	}
	return 0, false
}

func (c *CloudWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.Requests.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/service/GraniteServiceVersion20100801/operation/GetMetricData" {
		cwError(w, http.StatusBadRequest, "UnknownOperationException", "this server answers GetMetricData only", "")
		return
	}
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Header.Get("Authorization") == "" {
		cwError(w, http.StatusBadRequest, "InvalidRequest", "not a signed rpc-v2-cbor request", "")
		return
	}
	if c.Deny.Load() {
		cwError(w, http.StatusForbidden, "AccessDeniedException",
			"User: arn:aws:iam::123456789012:user/test is not authorized to perform: cloudwatch:GetMetricData", "AccessDenied;Sender")
		return
	}
	if c.Throttle.Add(-1) >= 0 {
		cwError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded", "Throttling;Sender")
		return
	}
	c.Throttle.Store(0)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	v, err := cbor.Decode(body)
	in, ok := v.(cbor.Map)
	if err != nil || !ok {
		cwError(w, http.StatusBadRequest, "SerializationException", "the body is not a CBOR map", "")
		return
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	if err1 != nil || err2 != nil || !end.After(start) {
		cwError(w, http.StatusBadRequest, "ValidationError", "StartTime and EndTime are required, EndTime after StartTime", "InvalidParameterValue;Sender")
		return
	}
	offset := 0
	if tok, ok := in["NextToken"].(cbor.String); ok {
		if offset, err = strconv.Atoi(string(tok)); err != nil {
			cwError(w, http.StatusBadRequest, "InvalidNextToken", "bad NextToken", "InvalidNextToken;Sender")
			return
		}
	}
	queries, _ := in["MetricDataQueries"].(cbor.List)
	if len(queries) == 0 || len(queries) > 500 {
		cwError(w, http.StatusBadRequest, "ValidationError", "1 to 500 MetricDataQueries", "InvalidParameterValue;Sender")
		return
	}
	// Every datapoint of every query in order; a page is PageSize of them.
	type point struct {
		id    string
		t     int64
		value float64
	}
	var points []point
	var ids []string
	c.mu.Lock()
	for _, qv := range queries {
		q, _ := qv.(cbor.Map)
		id, _ := q["Id"].(cbor.String)
		stat, _ := q["MetricStat"].(cbor.Map)
		metric, _ := stat["Metric"].(cbor.Map)
		ns, _ := metric["Namespace"].(cbor.String)
		name, _ := metric["MetricName"].(cbor.String)
		statName, _ := stat["Stat"].(cbor.String)
		period, _ := cbor.AsInt64(stat["Period"])
		var gateway string
		dims, _ := metric["Dimensions"].(cbor.List)
		for _, dv := range dims {
			d, _ := dv.(cbor.Map)
			if n, _ := d["Name"].(cbor.String); n == "NatGatewayId" {
				v, _ := d["Value"].(cbor.String)
				gateway = string(v)
			}
		}
		want := "Sum"
		if name == "ActiveConnectionCount" {
			want = "Maximum"
		}
		if id == "" || ns != "AWS/NATGateway" || period != 3600 || string(statName) != want {
			c.mu.Unlock()
			cwError(w, http.StatusBadRequest, "ValidationError",
				fmt.Sprintf("query %q: this server holds AWS/NATGateway metrics by the hour (Period 3600), %s of %s", id, want, name), "InvalidParameterValue;Sender")
			return
		}
		ids = append(ids, string(id))
		for _, h := range c.Hours[gateway] {
			t := time.Unix(h.Hour, 0)
			if v, ok := natMetric(h, string(name)); ok && !t.Before(start) && t.Before(end) {
				points = append(points, point{string(id), h.Hour, v})
			}
		}
	}
	c.mu.Unlock()
	page := points[min(offset, len(points)):]
	more := len(page) > c.PageSize
	if more {
		page = page[:c.PageSize]
	}
	results := map[string]cbor.Map{}
	var order []string
	result := func(id string) cbor.Map {
		res, ok := results[id]
		if !ok {
			res = cbor.Map{"Id": cbor.String(id), "Label": cbor.String(id), "Timestamps": cbor.List{}, "Values": cbor.List{}}
			results[id] = res
			order = append(order, id)
		}
		return res
	}
	for _, p := range page {
		res := result(p.id)
		res["Timestamps"] = append(res["Timestamps"].(cbor.List), &cbor.Tag{ID: 1, Value: cbor.Float64(float64(p.t))})
		res["Values"] = append(res["Values"].(cbor.List), cbor.Float64(p.value))
	}
	if offset == 0 { // queries without datapoints answer on the first page
		for _, id := range ids {
			result(id)
		}
	}
	var list cbor.List
	for _, id := range order {
		status := "Complete"
		if more {
			status = "PartialData"
		}
		results[id]["StatusCode"] = cbor.String(status)
		list = append(list, results[id])
	}
	out := cbor.Map{"MetricDataResults": list, "Messages": cbor.List{}}
	if more {
		out["NextToken"] = cbor.String(strconv.Itoa(offset + c.PageSize))
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Write(cbor.Encode(out))
}

// cwError writes an RPC v2 CBOR error; query, when set, is the X-Amzn-Query-Error header of a
// query-compatible service ("Throttling;Sender"), whose code the SDK reports.
func cwError(w http.ResponseWriter, status int, code, msg, query string) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	if query != "" {
		w.Header().Set("X-Amzn-Query-Error", query)
	}
	w.WriteHeader(status)
	w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + code), "message": cbor.String(msg)}))
}

// SetHours replaces a gateway's metrics.
func (c *CloudWatch) SetHours(gateway string, hours []flowgen.NATHour) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Hours[gateway] = slices.Clone(hours)
}
