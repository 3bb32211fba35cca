package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/door"
)

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage  `json:"paths"`
	Comps   struct{ Schemas map[string]schemaDoc } `json:"components"`
}

type schemaDoc struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
}

// TestOpenAPIRules: the document lists every rule an answer can name:
// each of the door's, the temporary ones, and the API's own.
func TestOpenAPIRules(t *testing.T) {
	var rule struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(loadOpenAPI(t).Comps.Schemas["Error"].Properties["rule"], &rule); err != nil {
		t.Fatal(err)
	}
	want := append([]string{door.RuleStoreUnavailable, door.RuleShuttingDown, "NOT_FOUND"}, door.Rules...)
	for _, r := range want {
		if !slices.Contains(rule.Enum, r) {
			t.Errorf("rule %s is not in the document's enum", r)
		}
	}
	if len(rule.Enum) != len(want) {
		t.Errorf("the document lists %d rules, the API answers %d", len(rule.Enum), len(want))
	}
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var d openAPIDoc
	if err := json.Unmarshal(openAPI, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Fatalf("openapi %q", d.OpenAPI)
	}
	return d
}

// TestOpenAPIRoutes: every operation of the document is routed by the
// server, and every route of the server is in the document.
func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPI(t)
	s := newFixture(t, Config{}).srv
	var documented []string
	for path, ops := range d.Paths {
		for method := range ops {
			m := strings.ToUpper(method)
			documented = append(documented, m+" "+path)
			req := httptest.NewRequest(m, strings.ReplaceAll(path, "{id}", "0000000000000001"), nil)
			if _, pattern := s.mux.Handler(req); pattern != m+" "+path {
				t.Errorf("%s %s is routed to %q", m, path, pattern)
			}
		}
	}
	sort.Strings(documented)
	routed := []string{"GET /v1/messages/{id}", "GET /v1/openapi.json", "POST /v1/messages"}
	if !slices.Equal(documented, routed) {
		t.Errorf("documented %v, routed %v", documented, routed)
	}
	// A method the document does not list is not routed.
	if _, pattern := s.mux.Handler(httptest.NewRequest("DELETE", "/v1/messages/0000000000000001", nil)); pattern != "" {
		t.Errorf("DELETE routed to %q", pattern)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if w.Code != http.StatusOK || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("serving the document: %d", w.Code)
	}
}

// TestOpenAPISchemas: each schema lists exactly the JSON fields of the
// type the handlers encode or decode, and requires only fields the type
// always writes.
func TestOpenAPISchemas(t *testing.T) {
	d := loadOpenAPI(t)
	for name, v := range map[string]any{
		"MessageRequest": MessageRequest{}, "BatchRequest": batchRequest{}, "SubmitResponse": SubmitResponse{},
		"Result": Result{}, "Error": Error{}, "ErrorBody": errorBody{}, "MessageView": MessageView{},
		"Leg": Leg{}, "FinalResult": FinalResult{},
	} {
		sc, ok := d.Comps.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		fields := map[string]bool{} // json name → omitempty
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag := rt.Field(i).Tag.Get("json")
			n, opts, _ := strings.Cut(tag, ",")
			fields[n] = strings.Contains(opts, "omitempty")
		}
		for f := range fields {
			if _, ok := sc.Properties[f]; !ok {
				t.Errorf("%s: field %s not documented", name, f)
			}
		}
		for p := range sc.Properties {
			if _, ok := fields[p]; !ok {
				t.Errorf("%s: documented property %s is no field", name, p)
			}
		}
		for _, r := range sc.Required {
			if omit, ok := fields[r]; !ok || (omit && !strings.HasSuffix(name, "Request")) {
				t.Errorf("%s: required %s is not always written", name, r)
			}
		}
	}
}
