package enrich

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
)

// Registries' servers are other people's: an answer larger than any real one (an RDAP
// network object is a few kilobytes, a whois reply a few dozen) is refused rather than read
// into memory.
const (
	// MaxRDAPBody is the largest RDAP answer read.
	MaxRDAPBody = 1 << 20
	// MaxWhoisReply is the largest whois reply read.
	MaxWhoisReply = 1 << 20
)

// ErrTooLarge is an answer longer than the limit.
var ErrTooLarge = errors.New("answer too large")

// limitedReader fails, rather than stops, at more than n bytes: a cut answer must not parse.
type limitedReader struct {
	r    io.Reader
	n    int64
	what string
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, fmt.Errorf("%w: the %s is longer than its limit", ErrTooLarge, l.what)
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, fmt.Errorf("%w: the %s is longer than its limit", ErrTooLarge, l.what)
	}
	return n, err
}

// limitedTransport caps the bodies of HTTP responses.
type limitedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{&limitedReader{r: resp.Body, n: t.max, what: "RDAP answer from " + req.URL.Host}, resp.Body}
	return resp, nil
}

// limitedDialer caps what whois connections read.
type limitedDialer struct {
	d   *net.Dialer
	max int64
}

func (d limitedDialer) Dial(network, addr string) (net.Conn, error) {
	c, err := d.d.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return &limitedConn{Conn: c, r: limitedReader{r: c, n: d.max, what: "whois reply from " + addr}}, nil
}

type limitedConn struct {
	net.Conn
	r limitedReader
}

func (c *limitedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
