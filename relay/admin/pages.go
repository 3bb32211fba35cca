package admin

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/settle"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"mod":     func(a, b int) int { return a % b },
	"stateKo": stateKo,
	"productKo": func(name string) string {
		if p, err := message.ParseProduct(name); err == nil {
			return productName(p)
		}
		return name
	},
	"add": func(a, b int) int { return a + b },
	"kst": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(kst).Format("2006-01-02 15:04:05")
	},
}).ParseFS(templateFS, "templates/*.html"))

// cookieName is the session cookie of the merchant pages.
const cookieName = "relay_session"

func (s *Server) pageRoutes() {
	s.mux.HandleFunc("GET /ui/{$}", s.signInPage)
	s.mux.HandleFunc("POST /ui/signin", s.signIn)
	s.mux.HandleFunc("POST /ui/signout", s.signOut)
	s.mux.HandleFunc("GET /ui/home", s.pageAuth(s.homePage))
	s.mux.HandleFunc("GET /ui/messages", s.pageAuth(s.messagesPage))
	s.mux.HandleFunc("GET /ui/messages.csv", s.pageAuth(s.messagesCSVPage))
	s.mux.HandleFunc("GET /ui/messages/{id}", s.pageAuth(s.messagePage))
	s.mux.HandleFunc("GET /ui/statement", s.pageAuth(s.statementPage))
}

func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Warn("page render failed", "page", name, "err", err)
	}
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "signin.html", map[string]string{})
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	s.requests.Inc()
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	who, err := s.authenticate(r, r.PostFormValue("token"))
	switch {
	case errors.Is(err, errThrottled):
		s.render(w, http.StatusTooManyRequests, "signin.html", map[string]string{"Error": "이 주소에서 로그인 실패가 너무 많습니다. 잠시 후 다시 시도하세요."})
		return
	case err != nil:
		s.render(w, http.StatusUnauthorized, "signin.html", map[string]string{"Error": "토큰이 올바르지 않습니다."})
		return
	case !s.signIns.allow(who.Name):
		s.throttled.Inc()
		s.render(w, http.StatusTooManyRequests, "signin.html", map[string]string{"Error": "이 토큰으로 로그인이 너무 많습니다. 잠시 후 다시 시도하세요."})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.sessions.create(who), Path: "/ui/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		MaxAge: int(s.opts.Config.sessionTTL() / time.Second),
	})
	http.Redirect(w, r, "/ui/home", http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/ui/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

func (s *Server) pageAuth(h func(http.ResponseWriter, *http.Request, Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.requests.Inc()
		c, err := r.Cookie(cookieName)
		if err != nil {
			http.Redirect(w, r, "/ui/", http.StatusSeeOther)
			return
		}
		who, ok := s.sessions.get(c.Value)
		if !ok {
			http.Redirect(w, r, "/ui/", http.StatusSeeOther)
			return
		}
		h(w, r, who)
	}
}

type messagesData struct {
	Who      Principal
	Customer string
	Number   string
	From, To string
	State    string
	States   []string
	Searched bool
	Messages []MessageView
	Error    string
	Month    string

	Sender, Product, ClientRef string
	Products                   []string
	Next, Prev, CSV            string // links of the results: pages, download
	Total                      string // "" when not counted
}

func (s *Server) messagesPage(w http.ResponseWriter, r *http.Request, who Principal) {
	v := r.URL.Query()
	d := messagesData{Who: who, Customer: v.Get("customer"), Number: v.Get("recipient"),
		From: v.Get("from"), To: v.Get("to"), State: v.Get("state"),
		Month:  s.now().In(kst).Format("2006-01"),
		Sender: v.Get("sender"), Product: v.Get("product"), ClientRef: v.Get("client_ref")}
	for _, p := range message.Products {
		d.Products = append(d.Products, p.String())
	}
	for st := message.StateAccepted; st <= message.StateExpired; st++ {
		d.States = append(d.States, st.String())
	}
	if d.Customer == "" {
		d.Customer = who.Customer
	}
	if d.From == "" {
		d.From = s.now().In(kst).AddDate(0, 0, -7).Format(time.DateOnly)
	}
	if d.To == "" {
		d.To = s.now().In(kst).Format(time.DateOnly)
	}
	if d.Customer != "" { // results on load: the last week by default
		v.Set("from", d.From)
		v.Set("to", d.To)
		r.URL.RawQuery = v.Encode()
		d.Searched = true
		q, code, err := s.parseQuery(r, who)
		if err == nil {
			var p Page
			p, err = s.findCounted(q)
			d.pageLinks(v, p)
			for _, m := range p.Messages {
				d.Messages = append(d.Messages, viewOf(m, who))
			}
		}
		if err != nil {
			d.Error = err.Error()
			if code == 0 {
				code = http.StatusInternalServerError
			}
			s.render(w, code, "messages.html", d)
			return
		}
	}
	s.render(w, http.StatusOK, "messages.html", d)
}

type statementData struct {
	Who       Principal
	Customer  string
	Month     string
	Statement *settle.Statement
	Error     string
}

func (s *Server) statementPage(w http.ResponseWriter, r *http.Request, who Principal) {
	d := statementData{Who: who, Customer: r.URL.Query().Get("customer"), Month: r.URL.Query().Get("month")}
	if d.Customer == "" {
		d.Customer = who.Customer
	}
	if d.Month == "" {
		d.Month = s.now().In(kst).Format("2006-01")
	}
	code := http.StatusOK
	switch {
	case d.Customer == "":
		d.Error, code = "고객을 지정하세요.", http.StatusBadRequest
	case !who.may(d.Customer):
		d.Error, code = "이 로그인으로는 고객 "+d.Customer+"의 정보를 볼 수 없습니다.", http.StatusForbidden
	default:
		st, _, err := s.statementOf(d.Customer, d.Month, 0)
		if err != nil {
			d.Error, code = err.Error(), http.StatusBadRequest
		}
		d.Statement = st
	}
	s.render(w, code, "statement.html", d)
}
