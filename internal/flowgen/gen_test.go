package flowgen

import (
	"bytes"
	"testing"
)

// TestDeterministic: the same seed writes the same bytes; another seed does not.
func TestDeterministic(t *testing.T) {
	write := func(seed uint64) []byte {
		g := New(Config{Seed: seed, Files: 1, RowsPerFile: 500})
		var b bytes.Buffer
		if err := g.Write(&b, g.File(0)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if !bytes.Equal(write(5), write(5)) {
		t.Error("same seed, different files")
	}
	if bytes.Equal(write(5), write(6)) {
		t.Error("different seeds, same files")
	}
}

// TestNATTruth: the ground truth adds up to the records on the NAT gateway's interface: what it
// received from the instances (private leg in) plus what it received from the internet
// (public leg in), each byte once.
func TestNATTruth(t *testing.T) {
	f := New(Config{Seed: 9, RowsPerFile: 5000}).File(0)
	nat := TheWorld().NAT
	var received int64
	for _, r := range f.Records {
		if r.ENI == nat && r.Status == "OK" && r.Dst == nat.PrivateIP {
			received += r.Bytes
		}
	}
	var bySource, byService int64
	for _, b := range f.Truth.NATBySource {
		bySource += b
	}
	for _, b := range f.Truth.NATByService {
		byService += b
	}
	if f.Truth.NATBytes == 0 || received != f.Truth.NATBytes || bySource != received || byService != received {
		t.Fatalf("NAT bytes: truth %d, by source %d, by service %d, records %d", f.Truth.NATBytes, bySource, byService, received)
	}
	if len(f.Truth.CrossAZ) == 0 {
		t.Error("no cross-AZ source")
	}
	for src := range f.Truth.CrossAZ {
		for _, e := range TheWorld().Apps {
			if e.PrivateIP == src && e.Subnet.AZ == nat.Subnet.AZ {
				t.Errorf("%s is in the NAT gateway's zone", src)
			}
		}
	}
}
