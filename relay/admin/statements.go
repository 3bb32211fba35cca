package admin

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/settle"
)

func (s *Server) statement(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, false)
	if !ok {
		return
	}
	st, err := s.opts.Settler.FromCounter(s.opts.Store, id, r.PathValue("month"))
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, settle.ErrCounts) {
			code = http.StatusBadRequest
		}
		writeError(w, code, err.Error())
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="statement-`+id+`-`+st.Month+`.csv"`)
		_ = st.WriteCSV(w)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = st.WriteJSON(w)
}

// exportHeader is the column list of a sending-record export.
var exportHeader = []string{"id", "customer", "client_ref", "product", "billed", "state", "sender", "recipient",
	"accepted_at", "sent_at", "final_at", "result_source", "result_code", "result_reason", "attempts"}

// export streams a customer's sending records (Art. 5-6) for a period as
// CSV with a UTF-8 byte order mark. Operators get recipients masked.
func (s *Server) export(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, false)
	if !ok {
		return
	}
	from, to, err := s.timeRange(r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="records-`+id+`.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write(exportHeader)
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(kst).Format(time.RFC3339)
	}
	for m, err := range s.opts.Store.Export(from, to) {
		if err != nil {
			// Headers are gone: end the CSV with a marker row.
			s.log.Error("export failed", "customer", id, "err", err)
			_ = cw.Write([]string{"#error", err.Error()})
			break
		}
		if m.Customer != id {
			continue
		}
		rcpt := m.Recipient
		if who.Operator() {
			rcpt = MaskNumber(rcpt)
		}
		billed := ""
		if m.Billed != message.ProductUnknown {
			billed = m.Billed.String()
		}
		_ = cw.Write([]string{m.ID.String(), m.Customer, m.ClientRef, m.Product.String(), billed, m.State.String(),
			m.Sender, rcpt, ts(m.AcceptedAt), ts(m.SentAt), ts(m.FinalAt),
			m.Result.Source.String(), m.Result.Code, m.Result.Reason, strconv.FormatUint(uint64(m.Attempts), 10)})
	}
	cw.Flush()
}
