package admin

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_admin_requests_total":       "Requests to the admin API and merchant pages.",
	"relay_admin_auth_failures_total":  "Admin requests refused for a missing or unknown token.",
	"relay_admin_changes_total":        "Changes asked of the admin API, by outcome.",
	"relay_admin_auth_throttled_total": "Admin requests and sign-ins refused by the wrong-token throttle before any token was checked.",
}
