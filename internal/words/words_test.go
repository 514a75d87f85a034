package words

import (
	"slices"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12036: "12,036", 100001186: "100,001,186",
		-5: "-5", -1500: "-1,500", -123456: "-123,456"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 files", 1: "1 file", 2: "2 files", 2000: "2,000 files"} {
		if got := Plural(n, "file"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
	if a, b := PluralIs(1, "interface"), PluralIs(1234, "interface"); a != "1 interface is" || b != "1,234 interfaces are" {
		t.Errorf("PluralIs: %q, %q", a, b)
	}
	if Has(1) != "has" || Has(0) != "have" || Has(2) != "have" {
		t.Errorf("Has: %s, %s, %s", Has(1), Has(0), Has(2))
	}
}

func TestA(t *testing.T) {
	for word, want := range map[string]string{"action": "an action", "packets": "a packets", "end": "an end", "interface-id": "an interface-id", "start": "a start"} {
		if got := A(word); got != want {
			t.Errorf("A(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[float64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1.5 * (1 << 30): "1.5 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%v) = %s, want %s", n, got, want)
		}
	}
}

// TestWrap: lines are at most the width, break only at spaces, and keep every word in order;
// a word longer than the width has a line of its own.
func TestWrap(t *testing.T) {
	text := "Who sends the most bytes to one address,  for example\na NAT gateway's: --where \"action IS DISTINCT FROM 'REJECT'\" leaves-it-out-entirely-and-more ok"
	lines := Wrap(text, 20)
	for _, l := range lines {
		if len(l) > 20 && strings.Contains(l, " ") {
			t.Errorf("line %q is longer than 20 and could break", l)
		}
	}
	if got, want := strings.Join(lines, " "), strings.Join(strings.Fields(text), " "); got != want {
		t.Errorf("rejoined: %q\nwant %q", got, want)
	}
	if !slices.Contains(lines, "leaves-it-out-entirely-and-more") || len(lines) < 8 {
		t.Errorf("lines: %q", lines)
	}
	if Wrap("   ", 10) != nil {
		t.Errorf("blank text gives lines")
	}
}
