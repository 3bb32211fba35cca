package store

import (
	"encoding/binary"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// Table bytes: the first byte of every key. Part of the on-disk format.
const (
	tMsg    byte = 0x01
	tRef    byte = 0x02
	tDLR    byte = 0x03
	tParked byte = 0x04
	tDue    byte = 0x05
	tOpen   byte = 0x06
	tOutbox byte = 0x07
	tOutSeq byte = 0x08
	tBill   byte = 0x09
	tRcpt   byte = 0x0a
	tCust   byte = 0x0b
	tStmt   byte = 0x0c
	tLegs   byte = 0x0d
	tDaily  byte = 0x0e
	tMeta   byte = 0x0f
	tSched  byte = 0x10
)

// maxKeyString is the longest string a key may hold (one length byte):
// message.MaxIndexed, which the doors check.
const maxKeyString = message.MaxIndexed

// A key's length byte must hold maxKeyString.
var _ = [1]struct{}{}[maxKeyString>>8]

func appendStr(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

func appendID(b []byte, id message.ID) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

// keyBuf is room on the stack for the keys of the hot path (a record, a
// due time, a carrier id, a customer's counter or report): their builders
// append to a caller's buffer, which the writer's methods do not keep.
type keyBuf [96]byte

func msgKey(id message.ID) []byte { return appendMsgKey(make([]byte, 0, 9), id) }

func appendMsgKey(b []byte, id message.ID) []byte { return appendID(append(b, tMsg), id) }

func openKey(id message.ID) []byte {
	return appendID(append(make([]byte, 0, 9), tOpen), id)
}

func refKey(customer, ref string) []byte {
	b := make([]byte, 0, 3+len(customer)+len(ref))
	return appendStr(appendStr(append(b, tRef), customer), ref)
}

func dlrKey(table byte, carrier, carrierMsgID string) []byte {
	return appendDLRKey(make([]byte, 0, 3+len(carrier)+len(carrierMsgID)), table, carrier, carrierMsgID)
}

func appendDLRKey(b []byte, table byte, carrier, carrierMsgID string) []byte {
	return appendStr(appendStr(append(b, table), carrier), carrierMsgID)
}

func dueKey(deadline time.Time, id message.ID) []byte {
	return appendDueKey(make([]byte, 0, 17), deadline, id)
}

func appendDueKey(b []byte, deadline time.Time, id message.ID) []byte {
	return appendID(appendDeadline(append(b, tDue), deadline), id)
}

// appendDeadline appends a time in unix milliseconds, as the due and sched
// keys hold it.
func appendDeadline(b []byte, t time.Time) []byte {
	return appendDeadlineMs(b, t.UnixMilli())
}

func appendDeadlineMs(b []byte, ms int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ms))
}

// customerPrefix is the prefix of a customer-keyed table for one customer.
func customerPrefix(table byte, customer string) []byte {
	return appendCustomerPrefix(make([]byte, 0, 2+len(customer)+16), table, customer)
}

func appendCustomerPrefix(b []byte, table byte, customer string) []byte {
	return appendStr(append(b, table), customer)
}

func outboxKey(customer string, seq uint64) []byte {
	return appendOutboxKey(make([]byte, 0, 10+len(customer)), customer, seq)
}

func appendOutboxKey(b []byte, customer string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendCustomerPrefix(b, tOutbox, customer), seq)
}

func billKey(customer, month string, p message.Product) []byte {
	return append(append(customerPrefix(tBill, customer), month...), byte(p))
}

// appendBillKey appends the billing key of a delivery on day, its Seoul
// day "YYYY-MM-DD" (seoulDates): the key holds its month, the day
// without its "-DD".
func appendBillKey(b []byte, customer string, day []byte, p message.Product) []byte {
	return append(append(appendCustomerPrefix(b, tBill, customer), day[:len(day)-3]...), byte(p))
}

func rcptKey(customer, recipient string, id message.ID) []byte {
	return appendID(appendStr(customerPrefix(tRcpt, customer), recipient), id)
}

func custKey(customer string, id message.ID) []byte {
	return appendID(customerPrefix(tCust, customer), id)
}

func metaKey(name string) []byte {
	return append([]byte{tMeta}, name...)
}

// prefixEnd is the smallest key greater than every key with the prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // prefix of all 0xff: no upper bound
}

// idAt is the tail id of a key ending in 8 id bytes.
func idAt(key []byte) message.ID {
	return message.ID(binary.BigEndian.Uint64(key[len(key)-8:]))
}

// seoul is Korea Standard Time; Korea keeps no daylight saving time, so a
// fixed zone is exact and needs no tz database.
var seoul = time.FixedZone("KST", 9*60*60)

// billingMonth is the settlement month of a delivery, "YYYY-MM" in Seoul.
func billingMonth(t time.Time) string {
	return t.In(seoul).Format("2006-01")
}
