package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/logcap"
)

// auditMark tells apiAuth whether the handler audited the request itself.
type auditMark struct{ done bool }

type auditMarkKey struct{}

// refusalWriter keeps the status and the start of the body of an answer.
type refusalWriter struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (rw *refusalWriter) WriteHeader(code int) {
	if rw.code == 0 {
		rw.code = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *refusalWriter) Write(b []byte) (int, error) {
	if rw.code == 0 {
		rw.code = http.StatusOK
	}
	if n := 1024 - rw.body.Len(); n > 0 {
		rw.body.Write(b[:min(n, len(b))])
	}
	return rw.ResponseWriter.Write(b)
}

// auditRefusals runs h and, if it refused the change (4xx or 5xx) without
// writing an audit entry, writes one: token name, customer, action (the
// route), target and the reason it answered.
func (s *Server) auditRefusals(w http.ResponseWriter, r *http.Request, who Principal, h func(http.ResponseWriter, *http.Request, Principal)) {
	mark := &auditMark{}
	r = r.WithContext(context.WithValue(r.Context(), auditMarkKey{}, mark))
	rw := &refusalWriter{ResponseWriter: w}
	h(rw, r, who)
	if mark.done || rw.code < 400 {
		return
	}
	var e struct {
		Error string `json:"error"`
	}
	reason := http.StatusText(rw.code)
	if json.Unmarshal(rw.body.Bytes(), &e) == nil && e.Error != "" {
		reason = e.Error
	}
	target := r.PathValue("customer")
	for _, k := range []string{"mid", "number", "id", "key"} {
		if v := customer.KeyShown(r.PathValue(k)); v != "" { // a key pasted in a path is a secret
			if target != "" {
				target += "/"
			}
			target += v
		}
	}
	if target == "" {
		target = r.URL.Path
	}
	// Nothing more can be answered: the refusal is already sent. audit
	// logs a failure to record.
	_ = s.audit(r, who, r.Pattern, logcap.CutN(target, 200), "",
		refusal{code: rw.code, reason: logcap.CutN(reason, 500)})
}

// refusal is the error a refused change is audited with.
type refusal struct {
	code   int
	reason string
}

func (e refusal) Error() string { return http.StatusText(e.code) + ": " + e.reason }
