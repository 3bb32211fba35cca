package settle

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/csvsafe"
)

// bom is the UTF-8 byte order mark the CSV starts with.
const bom = "\ufeff"

// WriteJSON writes the statement as indented JSON.
func (st *Statement) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

// WriteCSV writes the statement as CSV, UTF-8 with a byte order mark: a
// header, one row per product, then the supply, VAT and total rows and the
// dates, each labelled in the first column.
func (st *Statement) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csvsafe.NewWriter(w)
	rows := [][]string{{"customer", "month", "product", "label", "count", "unit_price_krw", "amount_krw"}}
	for _, l := range st.Lines {
		rows = append(rows, []string{st.Customer, st.Month, l.Product, l.Label,
			strconv.FormatUint(l.Count, 10), l.UnitPrice.String(), l.Amount.String()})
	}
	sum := func(name, label string, v int64) []string {
		return []string{st.Customer, st.Month, name, label, "", "", strconv.FormatInt(v, 10)}
	}
	rows = append(rows,
		sum("supply", "공급가액", st.Supply),
		sum("vat", "부가세", st.VAT),
		sum("total", "합계", st.Total),
		[]string{st.Customer, st.Month, "billing_date", "청구일", "", "", st.BillingDate},
		[]string{st.Customer, st.Month, "due_date", "납부기한", "", "", st.DueDate},
		[]string{st.Customer, st.Month, "status", "상태", "", "", st.statusText()},
	)
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// statusText is "preview", or "issued v2 2026-12-03T10:00:00+09:00 by ops".
func (st *Statement) statusText() string {
	if st.Status != StatusIssued {
		return st.Status
	}
	s := st.Status + " v" + strconv.Itoa(st.Version)
	if st.IssuedAt != nil {
		s += " " + st.IssuedAt.Format(time.RFC3339)
	}
	if st.IssuedBy != "" {
		s += " by " + st.IssuedBy
	}
	return s
}
