package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/csvsafe"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// historyCSVMax bounds the rows of one CSV download of a search.
const historyCSVMax = 100_000

// writeHistoryCSV streams every match of q, all pages, newest first, as
// CSV with a UTF-8 byte order mark, in the columns of the export.
func (s *Server) writeHistoryCSV(w http.ResponseWriter, q Query, who Principal) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="messages-`+q.Customer+`.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csvsafe.NewWriter(w)
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

// legsOf lists a message's legs: the ones it ended by moving on (a Kakao
// leg that fell back, with Kakao's code), then the current one, from the
// record.
func legsOf(m *message.Message, ended []store.Leg) []LegView {
	var out []LegView
	for _, l := range ended {
		v := LegView{Channel: "sms", Product: l.Product.String(), Outcome: "fell back",
			Code: resultText(l.Result), At: timePtr(l.EndedAt)}
		if l.Product.Kakao() {
			v.Channel = "kakao"
		}
		out = append(out, v)
	}
	last := LegView{Channel: "sms", Product: m.Product.String(), Outcome: m.State.String(),
		Code: resultText(m.Result), At: timePtr(m.FinalAt)}
	if m.Product.Kakao() && m.Leg == 0 {
		last.Channel = "kakao"
	}
	if m.Leg > 0 {
		last.Product = "sms/lms fallback"
		if m.Billed != message.ProductUnknown {
			last.Product = m.Billed.String() + " fallback"
		}
	}
	if last.At == nil {
		last.At = timePtr(m.SentAt)
	}
	return append(out, last)
}

func resultText(r message.Result) string {
	if r.Reason == "" {
		return r.Code
	}
	return r.Code + " " + r.Reason
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
		d.Error = "메시지 ID는 16자리 16진수입니다."
		s.render(w, http.StatusBadRequest, "message.html", d)
		return
	}
	m, err := s.opts.Store.Get(id)
	if err != nil || !who.may(m.Customer) {
		d.Error = "메시지가 없습니다." // another customer's answers as if it did not exist
		s.render(w, http.StatusNotFound, "message.html", d)
		return
	}
	ended, err := s.opts.Store.Legs(id)
	if err != nil {
		s.log.Error("legs lookup failed", "id", id, "err", err)
	}
	v := viewOf(m, who)
	d.Message, d.Legs = &v, legsOf(m, ended)
	s.render(w, http.StatusOK, "message.html", d)
}
