package receipt

import (
	"errors"
	"strings"
	"time"
)

var (
	// ErrNotReceipt: neither the TLVs nor the text carry a message id.
	ErrNotReceipt = errors.New("smpp/receipt: not a delivery receipt")
	// ErrNoStatus: there is an id but no state. Parse still returns what
	// it found.
	ErrNoStatus = errors.New("smpp/receipt: receipt without a state")
)

// TLVs are the optional parameters of a deliver_sm that describe a receipt,
// as the PDU codec decoded them.
type TLVs struct {
	// ReceiptedMessageID is receipted_message_id without its NUL; "" when
	// absent.
	ReceiptedMessageID string
	// MessageState is message_state, valid when HasMessageState.
	MessageState    uint8
	HasMessageState bool
	// NetworkErrorCode is network_error_code as carried: one octet of
	// network type, then a two-octet error code, big-endian. nil when
	// absent; any other length is ignored.
	NetworkErrorCode []byte
}

// Receipt is a parsed delivery receipt. Its strings share memory with the
// text given to Parse.
type Receipt struct {
	ID       string // carrier message id, as written (see Normalize)
	Stat     Stat
	StatText string // stat: as written in the text, "" if none
	// Sub and Dlvrd are the sub: and dlvrd: counts, -1 when absent.
	Sub, Dlvrd int
	// Submitted and Done are the submit date: and done date:, zero when
	// absent or malformed.
	Submitted, Done time.Time
	Err             string // err: as written, "" if absent
	Text            string // text: as written, "" if absent

	NetworkType     uint8  // from network_error_code
	NetworkCode     uint16 // from network_error_code
	HasNetworkError bool

	IDFromTLV   bool // ID came from receipted_message_id
	StatFromTLV bool // Stat came from message_state
}

// Class is r.Stat.Class().
func (r *Receipt) Class() Class { return r.Stat.Class() }

type field uint8

const (
	fID field = iota
	fSub
	fDlvrd
	fSubmit
	fDone
	fStat
	fErr
	fText
	nFields
)

var keys = []struct {
	name string
	f    field
}{
	{"id", fID},
	{"sub", fSub},
	{"dlvrd", fDlvrd},
	{"submit date", fSubmit},
	{"submit_date", fSubmit},
	{"submitdate", fSubmit},
	{"done date", fDone},
	{"done_date", fDone},
	{"donedate", fDone},
	{"stat", fStat},
	{"err", fErr},
	{"text", fText},
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0
}

// matchKey reports the known key that starts s[i:] followed by optional
// blanks and ':', and where its value starts.
func matchKey(s string, i int) (field, int, bool) {
	c := s[i] | 0x20 // ASCII lower case; keys start with a letter
	for _, k := range keys {
		if k.name[0] != c || len(s)-i < len(k.name) || !strings.EqualFold(s[i:i+len(k.name)], k.name) {
			continue
		}
		j := i + len(k.name)
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j < len(s) && s[j] == ':' {
			return k.f, j + 1, true
		}
	}
	return 0, 0, false
}

// fields holds the raw values found in a receipt text.
type fields struct {
	v   [nFields]string
	set [nFields]bool
}

// scan finds the known fields of text; see the package doc for the rules.
func scan(s string) fields {
	var fs fields
	pendingText := -1 // start of a text: value not yet ended
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		f, vs, ok := matchKey(s, i)
		if !ok {
			for i < len(s) && !isSpace(s[i]) {
				i++
			}
			continue
		}
		if pendingText >= 0 {
			fs.v[fText] = strings.TrimRight(s[pendingText:i], " \t\r\n\x00")
			pendingText = -1
		}
		j := vs
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if f == fText {
			if fs.set[fText] {
				i = j
				continue
			}
			fs.set[fText] = true
			if fs.set[fID] && fs.set[fStat] {
				fs.v[fText] = s[j:]
				break
			}
			pendingText, i = j, j
			continue
		}
		if j > vs && j < len(s) {
			if _, _, isKey := matchKey(s, j); isKey {
				j = vs // blanks, then another key: this value is empty
			}
		}
		end := j
		for end < len(s) && !isSpace(s[end]) {
			end++
		}
		if !fs.set[f] {
			fs.set[f] = true
			fs.v[f] = s[j:end]
		}
		i = end
	}
	if pendingText >= 0 {
		fs.v[fText] = strings.TrimRight(s[pendingText:], " \t\r\n\x00")
	}
	return fs
}

// Looks reports whether text looks like a receipt: it has an id: and a
// stat: field. It does not allocate.
func Looks(text string) bool {
	fs := scan(text)
	return fs.v[fID] != "" && fs.set[fStat]
}

// Parse reads a receipt from tlv and text, the TLVs winning over the text,
// with dates read in loc (nil means UTC). It returns ErrNotReceipt if no id
// is found, and the receipt with ErrNoStatus if no state is. It does not
// allocate: the receipt's strings are substrings of text and tlv.
func Parse(text string, tlv TLVs, loc *time.Location) (Receipt, error) {
	if loc == nil {
		loc = time.UTC
	}
	fs := scan(text)
	r := Receipt{
		ID:       fs.v[fID],
		StatText: fs.v[fStat],
		Stat:     ParseStat(fs.v[fStat]),
		Sub:      parseCount(fs.v[fSub]),
		Dlvrd:    parseCount(fs.v[fDlvrd]),
		Err:      fs.v[fErr],
		Text:     fs.v[fText],
	}
	r.Submitted = parseDate(fs.v[fSubmit], loc)
	r.Done = parseDate(fs.v[fDone], loc)
	if id := strings.Trim(tlv.ReceiptedMessageID, " \t\r\n\x00"); id != "" {
		r.ID, r.IDFromTLV = id, true
	}
	if tlv.HasMessageState {
		r.Stat, r.StatFromTLV = StatFromMessageState(tlv.MessageState), true
	}
	if b := tlv.NetworkErrorCode; len(b) == 3 {
		r.NetworkType, r.NetworkCode, r.HasNetworkError = b[0], uint16(b[1])<<8|uint16(b[2]), true
	}
	switch {
	case r.ID == "":
		return r, ErrNotReceipt
	case r.Stat == StatNone:
		return r, ErrNoStatus
	}
	return r, nil
}

// parseCount reads a decimal count of up to 9 digits; -1 if absent or not
// a number.
func parseCount(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// parseDate reads YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss in loc; the
// zero time if s is none of these or not a valid date.
func parseDate(s string, loc *time.Location) time.Time {
	var year int
	switch len(s) {
	case 10, 12:
		year = 2000 + parseCount(s[:2])
		s = s[2:]
	case 14:
		year = parseCount(s[:4])
		s = s[4:]
	default:
		return time.Time{}
	}
	if year < 0 || !allDigits(s) {
		return time.Time{}
	}
	num := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	mon, day, hh, mm, ss := num(0), num(2), num(4), num(6), 0
	if len(s) == 10 {
		ss = num(8)
	}
	if mon < 1 || mon > 12 || day < 1 || hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}
	}
	t := time.Date(year, time.Month(mon), day, hh, mm, ss, 0, loc)
	if t.Day() != day {
		return time.Time{} // 31 April and the like
	}
	return t
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
