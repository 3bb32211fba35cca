package configs_test

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay"
)

var update = flag.Bool("update", false, "rewrite configs/README.md from the config structs")

// TestConfigReference keeps README.md, the reference of every key, equal to
// what the config structs say: their toml tags, types, defaults and doc
// comments. After changing a config struct, run
//
//	go test ./configs -run TestConfigReference -update
func TestConfigReference(t *testing.T) {
	want := renderReference(t)
	if *update {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("configs/README.md is not what the config structs say; run\n\tgo test ./configs -run TestConfigReference -update\nand commit the result. Diff starts at:\n%s", firstDiff(string(got), want))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d\n  README.md: %s\n  structs:   %s", i+1, x, y)
		}
	}
	return ""
}

const referenceIntro = `# Configuration reference

The relay reads one TOML file (` + "`relayd -config FILE`" + `). This page lists every
key: its TOML type, the value it takes when left out, and what it does. It is
generated from the config structs and their doc comments; a test fails when
the two differ, so edit the struct's comment and run

    go test ./configs -run TestConfigReference -update

A key the relay does not know is an error naming the closest known key
("did you mean"). Durations are strings such as "200ms", "30s", "47h".
Examples: [dev.toml](dev.toml) (everything simulated, on this machine) and
[production.example.toml](production.example.toml) (real carriers, secrets in
files). ` + "`relayd -check-config -config FILE`" + ` validates a file and reads every
secret it names, without starting.

## Reload

SIGHUP, or ` + "`relayctl reload`" + `, reads the file again while the relay runs.
It applies ` + "`[[customer]]`" + ` (with their sender keys), ` + "`[[admin.token]]`" + `,
` + "`[settle]`" + ` prices, ` + "`[[template]]`" + `, ` + "`[[route]]`" + `, ` + "`[[carrier]]`" + ` and ` + "`[door]`" + `,
and keeps every upstream connection, SMPP server bind and the binds of
each carrier whose table (and password) did not change. A changed carrier
binds again and its old binds drain (submits in flight answered, receipts
recorded, then unbind); an added one binds; a removed one drains and
unbinds, and what waited for it is routed again by the new rules. A file
that fails the check, or changes any other key, is refused whole and the
running configuration stays. Every reload, applied or refused, is audited
with what it changed.

What was changed at run time through the admin API wins over the file, at
a reload as at a restart: a customer's senders, registrations, suspension
and contract end, shared numbers, payment subscriptions, API keys added or
revoked (each key is its customer's, or revoked, whatever ` + "`api_keys`" + ` says)
and carrier drains (data_dir/runtime.json); template puts and removals
(data_dir/templates.jsonl, replayed over the file's templates); opt-outs
(data_dir/optout.jsonl). A drain ends when the file removes its carrier.
To drop a run-time change, undo it through the admin API.

In a cluster (` + "`[cluster]`" + `) the same rule holds between each node's file
and the cluster's shared state: senders, registrations, suspensions,
contract ends, shared numbers, payment subscriptions, API keys, templates
and opt-outs changed on any node are kept in the JetStream KV bucket
` + "`RELAY_STATE`" + ` (with history) instead of runtime.json and the journals, and
every node applies them over its own file, at a reload as at a start. A
carrier drain stays the node's own (its binds are), in its runtime.json.
A relay that ran alone and starts with ` + "`[cluster]`" + ` moves the changes of its
runtime.json (drains aside) and journals to the bucket once, leaving alone
each key the bucket already holds (configs/cluster-dev/README.md).
`

func renderReference(t *testing.T) string {
	var b strings.Builder
	b.WriteString(referenceIntro)
	docs := fieldDocs{t: t, pkgs: map[string]map[string]*ast.StructType{}, fset: token.NewFileSet()}
	// Top-level keys first, then each table in the order it first appears.
	var order []string
	byTable := map[string][]relay.ConfigKey{}
	for _, k := range relay.ConfigKeys() {
		if _, ok := byTable[k.Table]; !ok {
			order = append(order, k.Table)
		}
		byTable[k.Table] = append(byTable[k.Table], k)
	}
	slices.SortStableFunc(order, func(a, b string) int { return cmpBool(a != "", b != "") })
	for _, table := range order {
		keys := byTable[table]
		switch {
		case table == "":
			b.WriteString("\n## Top level\n")
		case keys[0].Array:
			fmt.Fprintf(&b, "\n## [[%s]]\n", table)
		default:
			fmt.Fprintf(&b, "\n## [%s]\n", table)
		}
		b.WriteString("\n| Key | Type | Default | Meaning |\n|---|---|---|---|\n")
		for _, k := range keys {
			name := k.Path[strings.LastIndexByte(k.Path, '.')+1:]
			def := k.Default
			if def != "" {
				def = "`" + def + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, k.Type, def, cell(docs.of(k.Owner, k.Field.Name)))
		}
	}
	return b.String()
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

// fieldDocs reads struct field comments from the source of their package.
type fieldDocs struct {
	t    *testing.T
	pkgs map[string]map[string]*ast.StructType // package path -> type name -> struct
	fset *token.FileSet
}

func (d *fieldDocs) of(owner reflect.Type, field string) string {
	structs, ok := d.pkgs[owner.PkgPath()]
	if !ok {
		structs = map[string]*ast.StructType{}
		dir := filepath.Join("..", strings.TrimPrefix(owner.PkgPath(), "github.com/msgrelay/relay"))
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(d.fset, f, nil, parser.ParseComments)
			if err != nil {
				d.t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				if ts, ok := n.(*ast.TypeSpec); ok {
					if st, ok := ts.Type.(*ast.StructType); ok {
						structs[ts.Name.Name] = st
					}
				}
				return true
			})
		}
		d.pkgs[owner.PkgPath()] = structs
	}
	st := structs[owner.Name()]
	if st == nil {
		return ""
	}
	// A field without a comment of its own shares the doc comment of the
	// field right above it (Go's way of documenting a group of fields).
	var groupDoc string
	prevLine := -1
	for _, f := range st.Fields.List {
		line := d.fset.Position(f.Pos()).Line
		text := f.Doc.Text()
		switch {
		case text != "":
			groupDoc = text
		case line != prevLine+1:
			groupDoc = ""
		}
		prevLine = line
		if f.Comment != nil {
			text = f.Comment.Text()
		} else if text == "" {
			text = groupDoc
		}
		for _, n := range f.Names {
			if n.Name != field {
				continue
			}
			text = strings.Join(strings.Fields(text), " ")
			if rest, ok := strings.CutPrefix(text, field+" "); ok && rest != "" && !strings.HasPrefix(rest, "and ") {
				for _, verb := range []string{"is ", "are "} {
					rest = strings.TrimPrefix(rest, verb)
				}
				text = strings.ToUpper(rest[:1]) + rest[1:]
			}
			if text != "" {
				text = strings.ToUpper(text[:1]) + text[1:]
			}
			return text
		}
	}
	return ""
}
