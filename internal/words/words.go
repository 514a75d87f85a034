// Package words writes numbers as the messages and notes of flowsql put them in a sentence:
// "12,036", "1 file", "2,000 records".
package words

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Count writes a whole number with thousands separators: 12,036, -1,500.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}

// Plural is n of a noun: "1 record", "0 records", "2,000 records".
func Plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Count(n) + " " + noun + "s"
}

// Has is the verb "have" for n things: "1 row has", "2 rows have".
func Has(n int64) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// PluralIs is n things as the subject of "is": "1 interface is", "2 interfaces are".
func PluralIs(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun + " is"
	}
	return Plural(n, noun) + " are"
}

// A puts "a" or "an" before a word, by its first letter: "an action field", "a packets field".
func A(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// Bytes writes a byte count in binary units: 1536 -> "1.5 KiB".
func Bytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	i := 0
	for math.Abs(n) >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// Wrap breaks text into lines of at most width characters, at spaces (a word longer than width
// has a line of its own).
func Wrap(text string, width int) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(text) {
		if cur != "" && len(cur)+1+len(word) > width {
			lines = append(lines, cur)
			cur = word
			continue
		}
		if cur != "" {
			cur += " "
		}
		cur += word
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
