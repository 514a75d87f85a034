package ingest

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzResolverDecode: a line of a Resolver query log decodes to what encoding/json makes of
// it, error or not (decodeResolverLine takes a faster decoder first).
func FuzzResolverDecode(f *testing.F) {
	for _, line := range []string{
		`{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"2024-06-01T00:00:05Z","query_name":"registry-1.docker.io.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"registry.docker.io.","Type":"CNAME","Class":"IN"},{"Rdata":"54.1.2.3","Type":"A","Class":"IN"}],"srcaddr":"10.0.2.34","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0abc"}}`,
		`{"query_timestamp":"2024-06-01T00:00:07Z","query_name":"S3.amazonaws.com.","answers":[{"Rdata":"2600:1f18::1","Type":"AAAA"}],"srcport":53212}`,
		`{"query_name":"a\u00e9\ud800","srcport":null,"answers":[{"Rdata":"1.2.3.4","Type":"A"},null]}`,
		"{\"query_name\":\"a\xffb\",\"srcids\":{\"instance\":[]}}",
		`{"QUERY_NAME":"x","query_name":"y"}`,
		`[1]`, `{"query_name":1}`, `{"a":1} x`, `{"srcport":1e3}`, `{"":{""}}`, "{}\x00",
	} {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, std resolverQuery
		errFast := decodeResolverLine(line, &fast)
		errStd := json.Unmarshal(line, &std)
		if (errFast == nil) != (errStd == nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", line, errFast, errStd)
		}
		if errStd == nil && !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q:\n got %+v\nwant %+v", line, fast, std)
		}
	})
}
