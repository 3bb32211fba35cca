package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/store"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// changeStatus maps a registry's refusal to a status code.
func changeStatus(err error) int {
	if code := ruleStatus(err); code != 0 {
		return code
	}
	switch {
	case errors.Is(err, customer.ErrUnknown), errors.Is(err, payment.ErrUnknownMID),
		errors.Is(err, customer.ErrNotFound), errors.Is(err, payment.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, customer.ErrTooManySenders), errors.Is(err, payment.ErrTooManyRecipients),
		errors.Is(err, customer.ErrDuplicate), errors.Is(err, customer.ErrTooManyKeys), errors.Is(err, customer.ErrKeyTaken),
		errors.Is(err, errState), errors.Is(err, store.ErrConflict),
		errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, customer.ErrConfig), errors.Is(err, customer.ErrBadNumber), errors.Is(err, payment.ErrConfig):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %v", err)
	}
	return nil
}

// kst is Korea Standard Time: dates without a zone are KST days.
var kst = time.FixedZone("KST", 9*60*60)

// parseTime reads RFC 3339 or a KST day "YYYY-MM-DD"; with end set, a day
// means the end of that day (the next midnight), for exclusive upper bounds.
func parseTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, kst)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want RFC 3339 or YYYY-MM-DD", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// timeRange reads from and to; defaults: the last 30 days up to now.
func (s *Server) timeRange(fromS, toS string) (from, to time.Time, err error) {
	to = s.now()
	if toS != "" {
		if to, err = parseTime(toS, true); err != nil {
			return
		}
	}
	from = to.AddDate(0, 0, -30)
	if fromS != "" {
		if from, err = parseTime(fromS, false); err != nil {
			return
		}
	}
	if !from.Before(to) {
		err = fmt.Errorf("empty time range: from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return
}

func (s *Server) limit(v string) (int, error) {
	max := s.opts.Config.maxResults()
	if v == "" {
		return max, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("limit %q: want a positive integer", v)
	}
	return min(n, max), nil
}
