package admin

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// historyCSVMax bounds the rows of one CSV download of a search.
const historyCSVMax = 100_000

// writeHistoryCSV streams every match of q, all pages, newest first, as
// CSV with a UTF-8 byte order mark, in the columns of the export.
func (s *Server) writeHistoryCSV(w http.ResponseWriter, q Query, who Principal) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="messages-`+q.Customer+`.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write(exportHeader)
	q.Before, q.After, q.Limit = 0, 0, s.opts.Config.maxResults()
	for rows := 0; rows < historyCSVMax; {
		p, err := s.find(q)
		if err != nil {
			s.log.Error("history download failed", "customer", q.Customer, "err", err)
			_ = cw.Write([]string{"#error", err.Error()})
			break
		}
		for _, m := range p.Messages {
			_ = cw.Write(recordRow(m, who))
		}
		rows += len(p.Messages)
		if p.Older == 0 {
			break
		}
		q.Before = p.Older
	}
	cw.Flush()
}

// filterOf is the query string of a search's filters, without cursors:
// the base of the page links and of the CSV download.
func filterOf(v url.Values) string {
	f := url.Values{}
	for _, k := range []string{"customer", "recipient", "sender", "product", "state", "client_ref", "from", "to", "limit"} {
		if x := v.Get(k); x != "" {
			f.Set(k, x)
		}
	}
	return f.Encode()
}

// pageLinks fills the next, previous and CSV links of a results page.
func (d *messagesData) pageLinks(v url.Values, p Page) {
	base := filterOf(v)
	d.CSV = "/ui/messages.csv?" + base
	if p.Older != 0 {
		d.Next = "/ui/messages?" + base + "&before=" + p.Older.String()
	}
	if p.Newer != 0 {
		d.Prev = "/ui/messages?" + base + "&after=" + p.Newer.String()
	}
	if p.Total >= 0 {
		d.Total = strconv.Itoa(p.Total)
	}
}

func (s *Server) messagesCSVPage(w http.ResponseWriter, r *http.Request, who Principal) {
	q, code, err := s.parseQuery(r, who)
	if err != nil {
		http.Error(w, err.Error(), code)
		return
	}
	s.writeHistoryCSV(w, q, who)
}

// LegView is one way a message was sent, as the detail page shows it.
type LegView struct {
	Channel string     // "kakao" or "sms"
	Product string     // what the leg sent
	Outcome string     // its state or result
	Code    string     // the carrier's or Kakao's code, with its reason
	At      *time.Time // when the leg ended, or was sent
}

// legsOf derives the legs from the record: a Kakao message that fell back
// (leg 1) shows its Kakao leg, then the SMS/LMS fallback with the result.
// The record keeps the last leg's result only, so the Kakao leg of a
// fallback has no code or time here.
func legsOf(m *message.Message) []LegView {
	last := LegView{Channel: "sms", Product: m.Product.String(), Outcome: m.State.String(), At: timePtr(m.FinalAt)}
	if m.Product.Kakao() && m.Leg == 0 {
		last.Channel = "kakao"
	}
	if last.At == nil {
		last.At = timePtr(m.SentAt)
	}
	if m.Result.Code != "" {
		last.Code = m.Result.Code
		if m.Result.Reason != "" {
			last.Code += " " + m.Result.Reason
		}
	}
	if m.Leg == 0 {
		return []LegView{last}
	}
	last.Product = "sms/lms fallback"
	if m.Billed != message.ProductUnknown {
		last.Product = m.Billed.String() + " fallback"
	}
	return []LegView{{Channel: "kakao", Product: m.Product.String(), Outcome: "fell back"}, last}
}

type messageData struct {
	Who     Principal
	Message *MessageView
	Legs    []LegView
	Error   string
}

func (s *Server) messagePage(w http.ResponseWriter, r *http.Request, who Principal) {
	var d messageData
	d.Who = who
	id, err := message.ParseID(r.PathValue("id"))
	if err != nil {
		d.Error = "message id must be 16 hex digits"
		s.render(w, http.StatusBadRequest, "message.html", d)
		return
	}
	m, err := s.opts.Store.Get(id)
	if err != nil || !who.may(m.Customer) {
		d.Error = "no such message" // another customer's answers as if it did not exist
		s.render(w, http.StatusNotFound, "message.html", d)
		return
	}
	v := viewOf(m, who)
	d.Message, d.Legs = &v, legsOf(m)
	s.render(w, http.StatusOK, "message.html", d)
}
