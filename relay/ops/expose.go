package ops

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

// Exposition writes metric sets in the Prometheus text format with HELP and
// TYPE lines on every family.
type Exposition struct {
	help map[string]string

	mu      sync.Mutex
	sources []func(io.Writer)
	runtime bool
}

// NewExposition returns an exposition that takes help text from tables
// (family name → text) and writes the Go and process metrics too when
// runtime is set.
func NewExposition(runtime bool, tables ...map[string]string) *Exposition {
	e := &Exposition{help: map[string]string{}, runtime: runtime}
	for _, t := range append(tables, RuntimeHelp) {
		for k, v := range t {
			e.help[k] = v
		}
	}
	metrics.ExposeMetadata(true)
	return e
}

// Add writes what w writes (a metrics.Set's WritePrometheus, usually) on
// every scrape, after the sources added before it.
func (e *Exposition) Add(w func(io.Writer)) {
	e.mu.Lock()
	e.sources = append(e.sources, w)
	e.mu.Unlock()
}

// WritePrometheus writes every source, then the runtime metrics.
func (e *Exposition) WritePrometheus(w io.Writer) {
	metrics.ExposeMetadata(true) // idempotent; some test may have turned it off
	e.mu.Lock()
	sources := slices.Clone(e.sources)
	e.mu.Unlock()
	var raw bytes.Buffer
	for _, s := range sources {
		s(&raw)
	}
	out := bufio.NewWriter(w)
	e.rewrite(out, raw.Bytes(), false)
	if e.runtime {
		raw.Reset()
		metrics.WriteProcessMetrics(&raw)
		e.rewrite(out, raw.Bytes(), true)
	}
	out.Flush()
}

// rewrite copies the library's text to w with help text on the HELP lines.
// For runtime text it also renames, retypes and drops families.
func (e *Exposition) rewrite(w *bufio.Writer, text []byte, runtime bool) {
	skip := false // inside a dropped family
	for len(text) > 0 {
		var line []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, nil
		}
		switch {
		case bytes.HasPrefix(line, []byte("# HELP ")):
			family := string(bytes.Fields(line[len("# HELP "):])[0])
			if runtime {
				family = renamed(family)
				if _, ok := e.help[family]; !ok {
					skip = true
					continue
				}
			}
			skip = false
			w.WriteString("# HELP " + family)
			if h := e.help[family]; h != "" {
				w.WriteString(" " + escapeHelp(h))
			}
			w.WriteByte('\n')
		case skip:
		case runtime && bytes.HasPrefix(line, []byte("# TYPE ")):
			f := strings.Fields(string(line))
			family, typ := renamed(f[2]), f[3]
			if t, ok := retyped[family]; ok {
				typ = t
			}
			w.WriteString("# TYPE " + family + " " + typ + "\n")
		case runtime:
			name := line
			if i := bytes.IndexAny(line, "{ "); i >= 0 {
				name = line[:i]
			}
			w.WriteString(renamed(string(name)))
			w.Write(line[len(name):])
			w.WriteByte('\n')
		default:
			w.Write(line)
			w.WriteByte('\n')
		}
	}
}

// escapeHelp escapes what the text format does not allow raw in help text.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// Families lists the family of every HELP line in text, in order.
func Families(text string) []string {
	var fs []string
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				fs = append(fs, f[0])
			}
		}
	}
	return fs
}
