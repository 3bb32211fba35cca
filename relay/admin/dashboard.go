package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// The merchant dashboard (/ui/home): today's and this month's messages per
// product with their delivery rate, and the last 30 days as a chart drawn
// on the server in SVG (no script runs under the pages' CSP). A customer
// sees its own; an operator sees every customer in total, a list of the
// customers, and any one customer's page. Counts are of messages that
// became final on the day (Asia/Seoul), from the store's daily counters.

// chartDays is how many days the chart shows, today included.
const chartDays = 30

// Geometry of the chart, in SVG user units.
const (
	chartBarW   = 18
	chartGap    = 4
	chartHeight = 160 // the tallest bar
	chartLeft   = 44  // room for the count axis
	chartTop    = 12
)

// productCount is one line of a counts table.
type productCount struct {
	Product          string
	Final, Delivered uint64
}

// Rate is the delivery rate, "97.5%", or "-" without messages.
func (c productCount) Rate() string { return pct(c.Delivered, c.Final) }

func pct(delivered, final uint64) string {
	if final == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(delivered)*100/float64(final), 'f', 1, 64) + "%"
}

// chartBar is one day of the chart.
type chartBar struct {
	Day              string // YYYY-MM-DD (KST)
	Label            string // MM-DD
	Final, Delivered uint64
	X, Y, W, H       int
	CX, RateY        int // the rate's point; RateY -1 without messages
	Rate             string
}

type chart struct {
	Bars          []chartBar
	Max           uint64 // the count the top of the chart stands for
	Width, Height int    // of the SVG
	Bottom, Right int    // the base line and the right edge of the bars
	// RateLines are polyline points of the delivery rate, one line per
	// run of days with messages: a day without any breaks the line.
	RateLines []string
}

// customerLine is a row of the operator's customer list.
type customerLine struct {
	ID, Name     string
	Today, Month productCount
}

type dashData struct {
	Who            Principal
	Customer       string // "" for an operator's total
	Today, Month   string // "2026-11-26", "2026-11" (KST)
	Now            string
	TodayCounts    []productCount
	MonthCounts    []productCount
	TodayTotal     productCount
	MonthTotal     productCount
	Chart          chart
	Customers      []customerLine // the operator's total view only
	Error          string
	StatementMonth string
}

type dayCounts = map[string]map[message.Product]store.DayCount

func (s *Server) homePage(w http.ResponseWriter, r *http.Request, who Principal) {
	now := s.now().In(kst)
	d := dashData{Who: who, Customer: r.URL.Query().Get("customer"), Today: now.Format(time.DateOnly),
		Month: now.Format("2006-01"), Now: now.Format("2006-01-02 15:04") + " KST"}
	if d.Customer == "" {
		d.Customer = who.Customer
	}
	if !who.may(d.Customer) && d.Customer != "" {
		d.Error = "이 로그인으로는 고객 " + d.Customer + "의 정보를 볼 수 없습니다."
		s.render(w, http.StatusForbidden, "home.html", d)
		return
	}
	if d.Customer != "" && s.opts.Customers.Get(d.Customer) == nil {
		d.Error = "고객 " + d.Customer + "이(가) 없습니다."
		s.render(w, http.StatusNotFound, "home.html", d)
		return
	}
	first := now.AddDate(0, 0, 1-chartDays)
	if m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, kst); m.Before(first) {
		first = m
	}
	ids := []string{d.Customer}
	if d.Customer == "" {
		ids = nil
		for _, c := range s.opts.Customers.All() {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
	}
	total := dayCounts{}
	for _, id := range ids {
		dc, err := s.opts.Store.DailyCounts(id, first.Format(time.DateOnly), d.Today)
		if err != nil {
			s.log.Error("dashboard counts failed", "customer", id, "err", err)
			d.Error = "집계를 읽지 못했습니다."
			s.render(w, http.StatusInternalServerError, "home.html", d)
			return
		}
		if d.Customer == "" {
			c := s.opts.Customers.Get(id)
			line := customerLine{ID: id, Today: sum(dc, d.Today, d.Today), Month: sum(dc, d.Month+"-01", d.Today)}
			if c != nil {
				line.Name = c.Name
			}
			d.Customers = append(d.Customers, line)
		}
		for day, ps := range dc {
			if total[day] == nil {
				total[day] = map[message.Product]store.DayCount{}
			}
			for p, c := range ps {
				t := total[day][p]
				t.Final, t.Delivered = t.Final+c.Final, t.Delivered+c.Delivered
				total[day][p] = t
			}
		}
	}
	d.TodayCounts, d.TodayTotal = perProduct(total, d.Today, d.Today)
	d.MonthCounts, d.MonthTotal = perProduct(total, d.Month+"-01", d.Today)
	d.Chart = drawChart(total, now)
	s.render(w, http.StatusOK, "home.html", d)
}

// perProduct sums the days [from, to] per product, every product listed,
// and in total.
func perProduct(dc dayCounts, from, to string) ([]productCount, productCount) {
	out := make([]productCount, 0, len(message.Products))
	all := productCount{Product: "합계"}
	for _, p := range message.Products {
		c := productCount{Product: productName(p)}
		for day, ps := range dc {
			if day >= from && day <= to {
				c.Final += ps[p].Final
				c.Delivered += ps[p].Delivered
			}
		}
		all.Final, all.Delivered = all.Final+c.Final, all.Delivered+c.Delivered
		out = append(out, c)
	}
	return out, all
}

func sum(dc dayCounts, from, to string) productCount {
	_, all := perProduct(dc, from, to)
	return all
}

// productName is a product as merchants know it.
func productName(p message.Product) string {
	switch p {
	case message.ProductSMS:
		return "SMS 단문"
	case message.ProductLMS:
		return "LMS 장문"
	case message.ProductAlimTalk:
		return "알림톡"
	case message.ProductFriendTalkText:
		return "친구톡 텍스트"
	case message.ProductFriendTalkImage:
		return "친구톡 이미지"
	case message.ProductPaymentAlimTalk:
		return "결제 알림톡"
	}
	return p.String()
}

// drawChart lays out the last chartDays days ending with now's day: a bar
// per day of its final messages, scaled so the busiest day reaches the
// top, and the delivery rate as a line (0% at the base, 100% at the top).
func drawChart(dc dayCounts, now time.Time) chart {
	c := chart{Bottom: chartTop + chartHeight}
	for i := range chartDays {
		day := now.AddDate(0, 0, i+1-chartDays)
		b := chartBar{Day: day.Format(time.DateOnly), Label: day.Format("01-02"), RateY: -1}
		for _, pc := range dc[b.Day] {
			b.Final += pc.Final
			b.Delivered += pc.Delivered
		}
		c.Max = max(c.Max, b.Final)
		c.Bars = append(c.Bars, b)
	}
	var run []string
	for i := range c.Bars {
		b := &c.Bars[i]
		b.X, b.W = chartLeft+i*(chartBarW+chartGap), chartBarW
		b.CX = b.X + chartBarW/2
		if c.Max > 0 {
			b.H = int(b.Final * chartHeight / c.Max)
		}
		b.Y = c.Bottom - b.H
		b.Rate = pct(b.Delivered, b.Final)
		if b.Final == 0 {
			if len(run) > 1 {
				c.RateLines = append(c.RateLines, strings.Join(run, " "))
			}
			run = run[:0]
			continue
		}
		b.RateY = c.Bottom - int(b.Delivered*chartHeight/b.Final)
		run = append(run, fmt.Sprintf("%d,%d", b.CX, b.RateY))
	}
	if len(run) > 1 {
		c.RateLines = append(c.RateLines, strings.Join(run, " "))
	}
	c.Right = chartLeft + chartDays*(chartBarW+chartGap)
	c.Width, c.Height = c.Right+48, c.Bottom+28
	return c
}

// stateNames are the message states as the pages show them; the API's
// name stays in the element's data-state.
var stateNames = map[string]string{
	"accepted": "접수", "queued": "대기", "sending": "발송 중", "sent": "발송됨(결과 대기)",
	"kakao-sending": "카카오 발송 중", "kakao-sent": "카카오 발송됨(결과 대기)",
	"delivered": "성공", "failed": "실패", "expired": "기한 만료",
}

func stateKo(s string) string {
	if k, ok := stateNames[s]; ok {
		return k
	}
	return s
}
