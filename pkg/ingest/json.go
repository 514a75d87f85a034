package ingest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// convertJSON rewrites a JSON flow-log file as space-separated text that the text path loads:
//
//   - CloudWatch Logs subscription envelopes ({"messageType": "DATA_MESSAGE", "logEvents":
//     [{"message": "2 123456789012 eni-..."}]}, as Firehose delivers them, concatenated or one
//     per line): one line per log event, without a header;
//   - objects with a "message" string, one per line: one line per object, without a header;
//   - flow-log records with the fields as keys (underscore or hyphen names): a header line from
//     the first record's keys, then one line per record.
//
// It reports whether the output starts with a header, and the zero bytes of padding after
// the file's gzip stream.
func convertJSON(path string, gz bool, out io.Writer) (header bool, padding int64, err error) {
	r, f, err := openRecords(path, gz)
	if err != nil {
		return false, 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(out)
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var keys []string // record keys, from the first record
	for n := 1; ; n++ {
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); err == io.EOF {
			break
		} else if err != nil {
			return false, 0, fmt.Errorf("JSON object %d: %w", n, err)
		}
		switch {
		case obj["logEvents"] != nil:
			var env struct {
				MessageType string `json:"messageType"`
				LogEvents   []struct {
					Message string `json:"message"`
				} `json:"logEvents"`
			}
			if err := json.Unmarshal(marshalObject(obj), &env); err != nil {
				return false, 0, fmt.Errorf("JSON object %d: %w", n, err)
			}
			if env.MessageType == "CONTROL_MESSAGE" {
				continue
			}
			for _, e := range env.LogEvents {
				writeLine(w, e.Message)
			}
		case obj["message"] != nil:
			var msg string
			if err := json.Unmarshal(obj["message"], &msg); err != nil {
				return false, 0, fmt.Errorf("JSON object %d: \"message\" is not a string", n)
			}
			writeLine(w, msg)
		default:
			if keys == nil {
				for k := range obj {
					keys = append(keys, k)
				}
				keys = orderRecordKeys(keys)
				names := make([]string, len(keys))
				for i, k := range keys {
					names[i] = fieldName(k)
				}
				if _, err := ParseHeader(strings.Join(names, " ")); err != nil {
					return false, 0, fmt.Errorf("%w: JSON objects with neither logEvents, message nor flow-log fields", errNotFlowLog)
				}
				writeLine(w, strings.Join(names, " "))
				header = true
			}
			vals := make([]string, len(keys))
			for i, k := range keys {
				vals[i] = jsonFieldText(obj[k])
			}
			writeLine(w, strings.Join(vals, " "))
		}
	}
	return header, paddingOf(r), w.Flush()
}

func marshalObject(obj map[string]json.RawMessage) []byte {
	b, _ := json.Marshal(obj)
	return b
}

func writeLine(w *bufio.Writer, s string) {
	w.WriteString(strings.TrimRight(s, "\r\n"))
	w.WriteByte('\n')
}

// orderRecordKeys puts known fields in documented order, then the others by name: a JSON
// object's key order is lost in a Go map.
func orderRecordKeys(keys []string) []string {
	rank := map[string]int{}
	for i, f := range vpcFields {
		rank[f.Column] = i
	}
	for i, f := range tgwFields {
		if _, ok := rank[f.Column]; !ok {
			rank[f.Column] = len(vpcFields) + i
		}
	}
	out := make([]string, 0, len(keys))
	var unknown []string
	for _, k := range keys {
		if _, ok := rank[strings.ReplaceAll(k, "-", "_")]; ok {
			out = append(out, k)
		} else {
			unknown = append(unknown, k)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return rank[strings.ReplaceAll(a, "-", "_")] - rank[strings.ReplaceAll(b, "-", "_")]
	})
	slices.Sort(unknown)
	return append(out, unknown...)
}

// jsonFieldText renders one JSON value as a flow-log field: null and "" become "-", and
// whole numbers written as floats (25238.0) lose their fraction.
func jsonFieldText(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return "-"
	case strings.HasPrefix(s, `"`):
		var v string
		if json.Unmarshal(raw, &v) != nil || strings.TrimSpace(v) == "" {
			return "-"
		}
		return strings.Join(strings.Fields(v), "_")
	default:
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) && strings.ContainsAny(s, ".eE") {
			return strconv.FormatInt(int64(f), 10)
		}
		return s
	}
}
