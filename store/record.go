package store

import (
	"encoding/binary"
	"errors"
	"time"
	"unsafe"

	"github.com/msgrelay/relay/relay/message"
)

// The version bytes of the msg record layouts drawn in the package doc.
// Version 2 adds the message's deadline and not-before times after its
// final time. Part of the on-disk format.
const (
	recordV1 = 1
	recordV2 = 2
)

// Record flag bits. Part of the on-disk format.
const (
	flagTruncate = 1 << 0
	flagKakaoAd  = 1 << 1
	flagPurged   = 1 << 2

	// Bits 3-4 hold the message's ingress; records written before it was
	// kept read as the upstream protocol, which was then the only door.
	flagIngressShift = 3
	flagIngressMask  = 3 << flagIngressShift

	// Bits 5-6 hold which receipts the submitter asked for; records
	// written before read as all, as every message then got one.
	flagReceiptsShift = 5
	flagReceiptsMask  = 3 << flagReceiptsShift
)

// maxField bounds one string of a record; longer lengths are corruption.
// Writes are held to it by message.CheckLengths.
const maxField = message.MaxField

// ErrCorrupt is returned when a stored value cannot be decoded.
var ErrCorrupt = errors.New("store: corrupt record")

// rec is a message with the store's own bookkeeping.
type rec struct {
	message.Message
	Purged bool // personal data removed by retention

	// What the builder loaded (writer.load), so that a move can append
	// a delta to the stored value instead of writing it whole: the value,
	// how much of it is the record before its deltas, the state fields
	// moves changed since (a delta mask), and whether they changed
	// anything else.
	raw     []byte
	bodyLen int
	changed uint64
	whole   bool
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeRecord appends the version-2 encoding of r to dst.
// recordCap is room enough for m's record: the fixed part, five varint
// times and a uvarint, then each field with its length prefix.
func recordCap(m *message.Message) int {
	n := 1 + 8 + 7 + binary.MaxVarintLen32 + 5*binary.MaxVarintLen64
	for _, f := range [...]string{
		m.Customer, m.ClientRef, m.Sender, m.Recipient, m.Text, m.Subject,
		m.Kakao.SenderKey, m.Kakao.TemplateCode, m.Kakao.Buttons, m.Kakao.ImageURL,
		m.Carrier, m.CarrierMsgID, m.Result.Code, m.Result.Reason,
	} {
		n += binary.MaxVarintLen16 + len(f)
	}
	return n
}

func encodeRecord(dst []byte, r *rec) []byte {
	m := &r.Message
	var flags byte
	if m.Truncate {
		flags |= flagTruncate
	}
	if m.Kakao.Ad {
		flags |= flagKakaoAd
	}
	if r.Purged {
		flags |= flagPurged
	}
	flags |= byte(m.Ingress) << flagIngressShift & flagIngressMask
	flags |= byte(m.Receipts) << flagReceiptsShift & flagReceiptsMask
	fields := [...]string{
		m.Customer, m.ClientRef, m.Sender, m.Recipient, m.Text, m.Subject,
		m.Kakao.SenderKey, m.Kakao.TemplateCode, m.Kakao.Buttons, m.Kakao.ImageURL,
		m.Carrier, m.CarrierMsgID, m.Result.Code, m.Result.Reason,
	}
	if dst == nil {
		dst = make([]byte, 0, recordCap(m)) // one allocation
	}
	dst = append(dst, recordV2)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ID))
	dst = append(dst, byte(m.State), byte(m.Product), byte(m.Billed),
		byte(m.Fallback), m.Leg, flags, byte(m.Result.Source))
	dst = binary.AppendUvarint(dst, uint64(m.Attempts))
	dst = appendTime(dst, m.AcceptedAt)
	dst = appendTime(dst, m.SentAt)
	dst = appendTime(dst, m.FinalAt)
	dst = appendTime(dst, m.Deadline)
	dst = appendTime(dst, m.NotBefore)
	for _, f := range fields {
		dst = appendField(dst, f)
	}
	return dst
}

// decoder reads a value front to back; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrCorrupt
	}
	d.b = nil
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) time() time.Time {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

// field reads a length-prefixed field, checking the length against what
// is left before anything is copied.
func (d *decoder) field() []byte {
	n := d.uvarint()
	if d.err != nil || n > maxField || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	f := d.b[:n]
	d.b = d.b[n:]
	return f
}

func (d *decoder) str() string { return string(d.field()) }

// strIn is str for a decoder whose remaining bytes, when it had base of
// them left, were copied into rest: the string is a slice of rest.
func (d *decoder) strIn(rest string, base int) string {
	f := d.field()
	end := base - len(d.b)
	return rest[end-len(f) : end]
}

// decodeRecord decodes any record version this package has written, with
// the state deltas appended to it.
func decodeRecord(b []byte, r *rec) error {
	_, err := decodeRecordBody(b, r, false)
	return err
}

// decodeRecordBody is decodeRecord that also says how many bytes of b
// are the record before its deltas. With kept, b is a value that is
// never modified or reused, as writer.get returns them: the record's
// strings are then slices of b, not of a copy of it. A value read from
// Pebble or an iterator is neither until copied.
func decodeRecordBody(b []byte, r *rec, kept bool) (int, error) {
	d := decoder{b: b}
	v := d.byte1()
	if v != recordV1 && v != recordV2 {
		return 0, ErrCorrupt
	}
	m := &r.Message
	m.ID = message.ID(d.u64())
	m.State = message.State(d.byte1())
	m.Product = message.Product(d.byte1())
	m.Billed = message.Product(d.byte1())
	m.Fallback = message.Fallback(d.byte1())
	m.Leg = d.byte1()
	flags := d.byte1()
	m.Result.Source = message.Source(d.byte1())
	att := d.uvarint()
	if att > 1<<32-1 {
		d.fail()
	}
	m.Attempts = uint32(att)
	m.AcceptedAt = d.time()
	m.SentAt = d.time()
	m.FinalAt = d.time()
	m.Deadline, m.NotBefore = time.Time{}, time.Time{}
	if v >= recordV2 {
		m.Deadline = d.time()
		m.NotBefore = d.time()
	}
	// The strings share one allocation: the rest of the record, or b.
	var rest string
	if kept {
		rest = unsafe.String(unsafe.SliceData(d.b), len(d.b))
	} else {
		rest = string(d.b)
	}
	base := len(d.b)
	for _, p := range [...]*string{
		&m.Customer, &m.ClientRef, &m.Sender, &m.Recipient, &m.Text, &m.Subject,
		&m.Kakao.SenderKey, &m.Kakao.TemplateCode, &m.Kakao.Buttons, &m.Kakao.ImageURL,
		&m.Carrier, &m.CarrierMsgID, &m.Result.Code, &m.Result.Reason,
	} {
		*p = d.strIn(rest, base)
	}
	body := len(b) - len(d.b)
	for d.err == nil && len(d.b) > 0 {
		d.delta(m, rest, base)
	}
	if d.err != nil {
		return 0, d.err
	}
	m.Truncate = flags&flagTruncate != 0
	m.Kakao.Ad = flags&flagKakaoAd != 0
	r.Purged = flags&flagPurged != 0
	m.Ingress = message.Ingress(flags & flagIngressMask >> flagIngressShift)
	m.Receipts = message.Receipts(flags & flagReceiptsMask >> flagReceiptsShift)
	return body, nil
}
