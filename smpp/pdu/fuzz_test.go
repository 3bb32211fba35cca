package pdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"testing"
)

const fuzzMaxLen = 2048

func addSeeds(f *testing.F, withSplit bool) {
	vs := loadVectors(f)
	for _, v := range vs.Vectors {
		b, err := hex.DecodeString(v.Hex)
		if err != nil {
			f.Fatal(err)
		}
		if withSplit {
			f.Add(b, len(b)/2)
		} else {
			f.Add(b)
		}
	}
	for _, p := range roundTripBodies() {
		b, err := p.AppendTo(nil)
		if err != nil {
			f.Fatal(err)
		}
		if withSplit {
			f.Add(b, 17)
		} else {
			f.Add(b)
		}
	}
}

// checkDecoded asserts what every successful decode must satisfy: it encodes
// back to exactly the bytes it came from.
func checkDecoded(t *testing.T, p *PDU, in []byte) {
	t.Helper()
	out, err := p.AppendTo(nil)
	if err != nil {
		t.Fatalf("decoded %s does not encode: %v", p.Command, err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("re-encoded\n%x\nfrom\n%x", out, in)
	}
}

func FuzzDecode(f *testing.F) {
	addSeeds(f, false)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Decode(in, fuzzMaxLen)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Status == StatusOK || de.Err == nil {
				t.Fatalf("error %v is not a DecodeError with a status", err)
			}
			return
		}
		if p.Length != uint32(len(in)) {
			t.Fatalf("length %d for %d octets", p.Length, len(in))
		}
		checkDecoded(t, p, in)
		q, err := Decode(in, fuzzMaxLen)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}

// FuzzReader feeds a stream in two reads split at a fuzz-chosen point and
// checks that every PDU read encodes back to the octets it was read from.
func FuzzReader(f *testing.F) {
	addSeeds(f, true)
	f.Fuzz(func(t *testing.T, in []byte, at int) {
		r := NewReader(splitReader(bytes.Clone(in), at), fuzzMaxLen)
		off := 0
		for i := 0; ; i++ {
			if i > len(in)/HeaderLen {
				t.Fatalf("read %d PDUs from %d octets", i, len(in))
			}
			p, err := r.Read()
			if err != nil {
				var de *DecodeError
				switch {
				case err == io.EOF:
					if off != len(in) {
						t.Fatalf("EOF at %d of %d", off, len(in))
					}
					return
				case err == io.ErrUnexpectedEOF:
					return
				case errors.As(err, &de) && !de.Fatal:
					off += int(de.Header.Length)
					continue
				case errors.As(err, &de):
					return
				default:
					t.Fatalf("unexpected error %v", err)
				}
			}
			n := int(p.Length)
			if off+n > len(in) {
				t.Fatalf("PDU of %d octets at %d of %d", n, off, len(in))
			}
			checkDecoded(t, p, in[off:off+n])
			off += n
		}
	})
}
