package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/csvsafe"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/settle"
)

// errState marks a request that the state of things refuses: a month not
// over yet, a statement already issued, a contract not ended. It answers
// 409.
var errState = errors.New("admin: refused in this state")

// statementOf returns a customer's statement for month: the issued one
// (version 0: the latest; else that version), or a preview computed now
// when the month was never issued. versions is how many were issued.
func (s *Server) statementOf(customer, month string, version int) (st *settle.Statement, versions int, err error) {
	if _, err := time.Parse("2006-01", month); err != nil {
		return nil, 0, fmt.Errorf("%w: month %q: want YYYY-MM", settle.ErrCounts, month)
	}
	issued, err := s.opts.Store.IssuedStatements(customer, month)
	if err != nil {
		return nil, 0, err
	}
	if len(issued) == 0 {
		if version != 0 {
			return nil, 0, fmt.Errorf("%w: %s %s was never issued", settle.ErrCounts, customer, month)
		}
		st, err := s.settler.Load().FromCounter(s.opts.Store, customer, month)
		return st, 0, err
	}
	if version == 0 {
		version = len(issued)
	}
	if version < 0 || version > len(issued) {
		return nil, len(issued), fmt.Errorf("%w: %s %s has versions 1 to %d", settle.ErrCounts, customer, month, len(issued))
	}
	st = new(settle.Statement)
	if err := json.Unmarshal(issued[version-1], st); err != nil {
		return nil, len(issued), fmt.Errorf("issued statement %s %s v%d: %w", customer, month, version, err)
	}
	return st, len(issued), nil
}

// statement handles GET …/statements/{month}[?version=N][&format=csv].
func (s *Server) statement(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, false)
	if !ok {
		return
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("version %q: want a positive integer", v))
			return
		}
		version = n
	}
	st, versions, err := s.statementOf(id, r.PathValue("month"), version)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, settle.ErrCounts) {
			code = http.StatusBadRequest
		}
		writeError(w, code, err.Error())
		return
	}
	if versions > 0 {
		w.Header().Set("X-Statement-Versions", strconv.Itoa(versions))
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

// issueStatement handles POST …/statements/{month}/issue, operators only:
// {} issues a month that is over; {"reissue": true, "reason": "..."}
// issues it again from today's counters and prices, keeping every earlier
// version. Both are audited.
func (s *Server) issueStatement(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	var body struct {
		Reissue bool   `json:"reissue"`
		Reason  string `json:"reason"`
	}
	if err := readJSON(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.Reissue && body.Reason == "" {
		writeError(w, http.StatusBadRequest, `a reissue needs {"reissue": true, "reason": "..."}`)
		return
	}
	month := r.PathValue("month")
	action := "statement.issue"
	if body.Reissue {
		action = "statement.reissue"
	}
	var st *settle.Statement
	s.change(w, r, who, action, id, month+" "+body.Reason,
		func() (err error) {
			st, err = s.issue(r, who, id, month, body.Reissue, body.Reason)
			return err
		},
		func() { writeJSON(w, http.StatusOK, st) })
}

func (s *Server) issue(r *http.Request, who Principal, customer, month string, reissue bool, reason string) (*settle.Statement, error) {
	m, err := time.ParseInLocation("2006-01", month, kst)
	if err != nil {
		return nil, fmt.Errorf("%w: month %q: want YYYY-MM", errState, month)
	}
	now := s.now()
	if now.Before(m.AddDate(0, 1, 0)) {
		return nil, fmt.Errorf("%w: %s is not over (KST); its statement is a preview until then", errState, month)
	}
	if s.opts.Customers.Get(customer) == nil {
		return nil, fmt.Errorf("%w: no customer %q", errState, customer)
	}
	if s.opts.Issuable != nil {
		if err := s.opts.Issuable(r.Context(), month); err != nil {
			return nil, fmt.Errorf("%w: %w", errState, err)
		}
	}
	issued, err := s.opts.Store.IssuedStatements(customer, month)
	if err != nil {
		return nil, err
	}
	if len(issued) > 0 && !reissue {
		return nil, fmt.Errorf(`%w: %s %s is already issued (%d versions); reissuing needs {"reissue": true, "reason": "..."}`, errState, customer, month, len(issued))
	}
	if len(issued) == 0 && reissue {
		return nil, fmt.Errorf("%w: %s %s was never issued: issue it first", errState, customer, month)
	}
	st, err := s.settler.Load().FromCounter(s.opts.Store, customer, month)
	if err != nil {
		return nil, err
	}
	at := now.In(kst)
	st.Status, st.IssuedAt, st.IssuedBy, st.Reason = settle.StatusIssued, &at, who.Name, reason
	st.Version = len(issued) + 1
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	if _, err := s.opts.Store.IssueStatement(r.Context(), customer, month, len(issued), b); err != nil {
		return nil, err
	}
	return st, nil
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
	cw := csvsafe.NewWriter(w)
	_ = cw.Write(exportHeader)
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
		_ = cw.Write(recordRow(m, who))
	}
	cw.Flush()
}

// recordRow is a message's row under exportHeader; operators get the
// recipient masked.
func recordRow(m *message.Message, who Principal) []string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(kst).Format(time.RFC3339)
	}
	rcpt := m.Recipient
	if who.Operator() {
		rcpt = MaskNumber(rcpt)
	}
	billed := ""
	if m.Billed != message.ProductUnknown {
		billed = m.Billed.String()
	}
	return []string{m.ID.String(), m.Customer, m.ClientRef, m.Product.String(), billed, m.State.String(),
		m.Sender, rcpt, ts(m.AcceptedAt), ts(m.SentAt), ts(m.FinalAt),
		m.Result.Source.String(), m.Result.Code, m.Result.Reason, strconv.FormatUint(uint64(m.Attempts), 10)}
}
