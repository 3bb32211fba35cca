package kakaotest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/msgrelay/relay/kakaobiz/internal/flatjson"
)

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	s.st.requests.Add(1)
	if !ctx.IsPost() {
		ctx.Error(`{"code":"4050","message":"method not allowed"}`, fasthttp.StatusMethodNotAllowed)
		return
	}
	switch string(ctx.Path()) {
	case "/v2/oauth/token":
		s.token(ctx)
	case "/v2/send/kakao":
		s.send(ctx)
	case "/v2/info/message/search":
		s.lookup(ctx)
	default:
		answer(ctx, fasthttp.StatusNotFound, `{"code":"4044","message":"no such path"}`)
	}
}

func answerBytes(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(body) // copies
}

func answer(ctx *fasthttp.RequestCtx, status int, body string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(body)
}

func (s *Server) token(ctx *fasthttp.RequestCtx) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.cfg.ClientID+":"+s.cfg.ClientSecret))
	if string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)) != want {
		s.st.unauthorized.Add(1)
		answer(ctx, fasthttp.StatusUnauthorized, `{"error":"invalid_client","error_description":"bad client credentials"}`)
		return
	}
	if string(ctx.PostArgs().Peek("grant_type")) != "client_credentials" {
		answer(ctx, fasthttp.StatusBadRequest, `{"error":"unsupported_grant_type"}`)
		return
	}
	s.mu.Lock()
	s.mu.seq++
	tok := "tok-" + strconv.FormatUint(s.mu.seq, 10) + "-" + strconv.FormatUint(s.mu.rng.Uint64(), 36)
	s.mu.tokens[tok] = s.cfg.Now().Add(s.cfg.TokenTTL)
	s.mu.Unlock()
	s.st.tokens.Add(1)
	answer(ctx, fasthttp.StatusOK, `{"access_token":"`+tok+`","token_type":"bearer","expires_in":`+
		strconv.FormatInt(int64(s.cfg.TokenTTL/time.Second), 10)+`}`)
}

// authorized checks the bearer token; it answers 401 itself when not.
func (s *Server) authorized(ctx *fasthttp.RequestCtx) bool {
	h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	tok, ok := bytes.CutPrefix(h, []byte("Bearer "))
	if ok {
		s.mu.Lock()
		exp, found := s.mu.tokens[string(tok)]
		ok = found && s.cfg.Now().Before(exp)
		s.mu.Unlock()
	}
	if !ok {
		s.st.unauthorized.Add(1)
		answer(ctx, fasthttp.StatusUnauthorized, `{"error":"invalid_token","error_description":"access token expired or unknown"}`)
	}
	return ok
}

// sendBody is the part of a send request the server looks at. Only the
// cid is copied; the rest is checked while the request is alive.
type sendBody struct {
	CID       string
	phone     [20]byte
	phoneLen  int
	typeOK    bool
	hasKey    bool
	hasText   bool
	hasTarget bool
}

func (b *sendBody) parse(body []byte) error {
	return flatjson.Scan(body, func(k []byte, v flatjson.Value) bool {
		if v.Kind != flatjson.String {
			return true
		}
		switch string(k) {
		case "message_type":
			switch string(v.Raw) {
			case "AT", "AI", "FT", "FI":
				b.typeOK = true
			}
		case "sender_key":
			b.hasKey = len(v.Raw) > 0
		case "cid":
			b.CID = v.Str()
		case "phone_number":
			b.hasTarget = len(v.Raw) > 0 && len(v.Raw) <= len(b.phone)
			b.phoneLen = copy(b.phone[:], v.Raw)
		case "message":
			b.hasText = len(v.Raw) > 0
		}
		return true
	})
}

func (b *sendBody) valid() bool {
	return b.CID != "" && b.typeOK && b.hasKey && b.hasTarget && b.hasText
}

func (s *Server) send(ctx *fasthttp.RequestCtx) {
	if !s.authorized(ctx) {
		return
	}
	s.st.sends.Add(1)
	var b sendBody
	if err := b.parse(ctx.PostBody()); err != nil {
		s.st.rejected.Add(1)
		answer(ctx, fasthttp.StatusBadRequest, `{"code":"4000","message":"body is not JSON"}`)
		return
	}
	if !b.valid() {
		s.st.rejected.Add(1)
		answer(ctx, fasthttp.StatusBadRequest, `{"code":"4001","message":"missing or invalid field"}`)
		return
	}
	if !s.pass() || !s.wait(time.Duration(s.latency.Load())) {
		return
	}

	s.mu.Lock()
	if r, dup := s.mu.serials[b.CID]; dup {
		uid := r.uid
		s.mu.Unlock()
		s.st.duplicates.Add(1)
		ab := getBuf()
		defer putBuf(ab)
		*ab = append(*ab, `{"code":"4090","message":"duplicated cid","cid":`...)
		*ab = flatjson.AppendQuote(*ab, b.CID)
		*ab = append(*ab, `,"uid":"K`...)
		*ab = strconv.AppendUint(*ab, uid, 10)
		*ab = append(*ab, `"}`...)
		answerBytes(ctx, fasthttp.StatusConflict, *ab)
		return
	}
	outcome := s.pickLocked(b.phone[:b.phoneLen])
	var rec *record
	switch outcome {
	case OutcomeHTTP500, OutcomeHTTP503, OutcomeHTTP429, OutcomeHuge:
	default:
		code := outcome
		if outcome == OutcomeTimeout || outcome == OutcomeReset || outcome == OutcomeGarbage {
			code = "1000"
		}
		if len(code) == 4 && code[0] == '4' {
			break // a refused request is not accepted
		}
		rec = s.acceptLocked(b.CID, code)
	}
	s.mu.Unlock()

	switch outcome {
	case OutcomeHTTP500, OutcomeHTTP503, OutcomeHTTP429:
		status := map[string]int{OutcomeHTTP500: 500, OutcomeHTTP503: 503, OutcomeHTTP429: 429}[outcome]
		if s.cfg.RetryAfter > 0 {
			ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, strconv.Itoa(int((s.cfg.RetryAfter+time.Second-1)/time.Second)))
		}
		answer(ctx, status, `{"code":"9999","message":"try again later"}`)
	case OutcomeHuge:
		answer(ctx, fasthttp.StatusOK, `{"code":"1000","message":"`+string(bytes.Repeat([]byte("x"), 1<<20))+`"}`)
	case OutcomeReset:
		raw := ctx.Conn()
		ctx.HijackSetNoResponse(true)
		ctx.Hijack(func(net.Conn) {
			if cc, ok := raw.(*countedConn); ok {
				cc.reset()
			}
		})
	case OutcomeGarbage:
		answer(ctx, fasthttp.StatusOK, `<html><body>502 upstream</body></html>`)
	case OutcomeTimeout:
		if !s.wait(s.cfg.Hold) {
			return
		}
		s.answerRecord(ctx, b.CID, rec)
	default:
		if rec == nil {
			s.st.rejected.Add(1)
			answer(ctx, fasthttp.StatusBadRequest, `{"code":"`+outcome+`","message":"request refused","cid":`+string(flatjson.AppendQuote(nil, b.CID))+`}`)
			return
		}
		s.answerRecord(ctx, b.CID, rec)
	}
}

func (s *Server) answerRecord(ctx *fasthttp.RequestCtx, cid string, r *record) {
	s.mu.Lock()
	code := s.currentLocked(r)
	s.mu.Unlock()
	ab := getBuf()
	defer putBuf(ab)
	b := append(*ab, `{"code":"`...)
	b = append(b, code...)
	b = append(b, `","message":"`...)
	b = append(b, message(code)...)
	b = append(b, `","uid":"K`...)
	b = strconv.AppendUint(b, r.uid, 10)
	b = append(b, `","cid":`...)
	b = flatjson.AppendQuote(b, cid)
	b = append(b, `,"received_at":"`...)
	b = s.cfg.Now().AppendFormat(b, "2006-01-02T15:04:05Z07:00")
	b = append(b, `"}`...)
	*ab = b
	answerBytes(ctx, fasthttp.StatusOK, b)
}

func (s *Server) lookup(ctx *fasthttp.RequestCtx) {
	if !s.authorized(ctx) {
		return
	}
	s.st.lookups.Add(1)
	var b struct {
		CID string `json:"cid"`
	}
	if err := json.Unmarshal(ctx.PostBody(), &b); err != nil || b.CID == "" {
		answer(ctx, fasthttp.StatusBadRequest, `{"code":"4000","message":"body is not JSON"}`)
		return
	}
	if !s.pass() || !s.wait(time.Duration(s.latency.Load())) {
		return
	}
	s.mu.Lock()
	r, ok := s.mu.serials[b.CID]
	s.mu.Unlock()
	if !ok {
		answer(ctx, fasthttp.StatusNotFound, `{"code":"4040","message":"not found"}`)
		return
	}
	s.answerRecord(ctx, b.CID, r)
}

// pickLocked chooses a send's outcome: bursts, then Force, then the mix.
func (s *Server) pickLocked(recipient []byte) string {
	if len(s.mu.bursts) > 0 {
		b := &s.mu.bursts[0]
		b.n--
		o := b.outcome
		if b.n <= 0 {
			s.mu.bursts = s.mu.bursts[1:]
		}
		return o
	}
	if o, ok := s.cfg.Force[string(recipient)]; ok {
		return o
	}
	total := 0
	for _, w := range s.cfg.Mix {
		total += w.Weight
	}
	n := s.mu.rng.IntN(total)
	for _, w := range s.cfg.Mix {
		if n < w.Weight {
			return w.Outcome
		}
		n -= w.Weight
	}
	return s.cfg.Mix[len(s.cfg.Mix)-1].Outcome
}

func (s *Server) acceptLocked(cid, code string) *record {
	s.mu.seq++
	r := &record{uid: s.mu.seq, code: code}
	if code == "3005" {
		r.final = s.cfg.FinalCode
		r.finalAt = s.cfg.Now().Add(s.cfg.FinalAfter)
	}
	s.mu.serials[cid] = r
	s.st.accepted.Add(1)
	if code == "1000" {
		s.st.billed.Add(1)
	}
	return r
}

// currentLocked is the code a record shows now; a 3005 turns final (and is
// billed if delivered) once FinalAfter has passed.
func (s *Server) currentLocked(r *record) string {
	if !r.finalAt.IsZero() && !s.cfg.Now().Before(r.finalAt) {
		r.code, r.finalAt = r.final, time.Time{}
		if r.code == "1000" {
			s.st.billed.Add(1)
		}
	}
	return r.code
}

func message(code string) string {
	switch code {
	case "1000":
		return "success"
	case "3005":
		return "ack timeout"
	case "3018":
		return "message cannot be sent"
	default:
		return "result " + code
	}
}
