package ops

import (
	"encoding/json"
	"html/template"
	"net/http"
	"time"
)

// ServeStatus answers /status with the report as HTML, or as JSON with
// ?format=json. Both answer 200 whether or not the relay is ready:
// readiness is /readyz's answer.
func ServeStatus(w http.ResponseWriter, r *http.Request, rep *Report) {
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_ = statusPage.Execute(w, rep)
}

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"since": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"time":      func(t time.Time) string { return t.Format(time.RFC3339) },
	"ingresses": func() []string { return []string{"upstream", "smpp", "http"} },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>relay status</title>
<style>body{font:14px sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.up{color:#070}.down{color:#b00}.warn{color:#a60}</style>
</head><body>
<h1>relay status <small>{{time .Time}}</small></h1>
{{if .Ready}}<p class="up"><b>ready</b></p>{{else}}<p class="down"><b>not ready</b></p>{{end}}
{{range .Problems}}<p class="down">{{.}}</p>{{end}}
{{range .Warnings}}<p class="warn">warning: {{.}}</p>{{end}}
<h2>Paths</h2>
<table><tr><th>product</th><th>live</th><th>down</th></tr>
{{range .Paths}}<tr><td>{{.Product}}</td><td class="up">{{range .Live}}{{.}} {{end}}</td><td class="down">{{range .Down}}{{.}} {{end}}</td></tr>{{end}}
</table>
<h2>Carriers</h2>
<table><tr><th>carrier</th><th>bind</th><th>state</th><th>since</th><th>window</th><th>TPS limit</th><th>allowed</th><th>rate/s</th><th>queue</th><th>last error</th></tr>
{{range $c := .Dispatch.Carriers}}{{range .Binds}}<tr><td>{{$c.Name}}{{if $c.Drained}} (drained){{end}}</td><td>{{.Name}}</td>
<td>{{if .Up}}<span class="up">up</span>{{else}}<span class="down">down: {{.Reason}}</span>{{end}}</td><td>{{since .Since}}</td>
<td>{{.WindowUsed}}/{{.Window}}</td><td>{{if .TPS}}{{.TPS}}{{else}}none{{end}}</td><td>{{if .Allowed}}{{.Allowed}}{{end}}</td><td>{{.Rate}}</td><td>{{$c.Queue}}</td><td>{{.LastError}}</td></tr>{{end}}{{end}}
</table>
{{with .Dispatch.Kakao}}<h2>Kakao</h2>
<table><tr><th>token</th><th>expires</th><th>token error</th><th>in flight</th><th>waiting for a connection</th><th>queue</th><th>awaiting result</th></tr>
<tr><td>{{.Token}}</td><td>{{if not .TokenExpires.IsZero}}{{time .TokenExpires}}{{end}}</td><td>{{.TokenError}}</td><td>{{.InFlight}}</td><td>{{.Waiting}}</td><td>{{.Queue}}</td><td>{{.Awaiting}}</td></tr>
</table>{{end}}
<h2>Queues</h2>
<table><tr><th>waiting for a carrier</th><th>of which unroutable</th></tr><tr><td>{{.Dispatch.Queue}}</td><td>{{.Dispatch.Unroutable}}</td></tr></table>
<h2>Customers</h2>
<table><tr><th>customer</th><th>connections</th><th>in flight</th><th>upstream</th><th>SMPP</th><th>HTTP</th><th>suspended</th></tr>
{{range .Customers}}<tr><td>{{.ID}}</td><td>{{.Conns}}</td><td>{{.InFlight}}</td>
{{- $by := .ByIngress}}{{range $in := ingresses}}{{with index $by $in}}<td>{{.Conns}} / {{.InFlight}}</td>{{end}}{{end -}}
<td>{{if .Suspended}}suspended{{end}}</td></tr>{{end}}
</table>
<h2>Reports</h2>
<table><tr><th>dropped unread after 48 h</th>{{range $door, $n := .Reports.Expired}}<th>{{$door}}</th>{{end}}</tr>
<tr><td></td>{{range $door, $n := .Reports.Expired}}<td>{{$n}}</td>{{end}}</tr></table>
<h2>Store</h2>
<p>{{if .Store.Healthy}}<span class="up">healthy</span>{{else}}<span class="down">{{.Store.Error}}</span>{{end}};
data_dir free: {{.Store.FreeBytes}} bytes</p>
<table><tr><th>open messages</th>{{range .Store.AgeColumns}}<th>{{.}}</th>{{end}}</tr>
{{range $state, $row := .Store.Open.ByState}}<tr><td>{{$state}}</td>{{range $row}}<td>{{.}}</td>{{end}}</tr>{{end}}
<tr><th>total {{.Store.Open.Total}}{{if .Store.Open.Truncated}}+ (scan limit){{end}}</th></tr>
</table>
</body></html>
`))
