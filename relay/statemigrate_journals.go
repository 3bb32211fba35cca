package relay

import (
	"cmp"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/journal"
	"github.com/msgrelay/relay/relay/optout"
)

// The journals of a relay alone, moved to the shared state by a node that
// finds them (statemigrate.go).
const (
	templatesJournal = "templates.jsonl"
	optOutJournal    = "optout.jsonl"
)

// aloneJournals names the journals of a relay alone in dir.
func aloneJournals(dir string) []string {
	var out []string
	for _, name := range []string{templatesJournal, optOutJournal} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			out = append(out, name)
		}
	}
	return out
}

// journalEntries is a journal as the shared state bucket's keys and
// values: each template's last change, each number on a list.
func journalEntries(path string) (keys []string, values [][]byte, err error) {
	if filepath.Base(path) == optOutJournal {
		return optOutEntries(path)
	}
	last := map[[2]string]templateChange{}
	j, err := journal.Open(path, func(b []byte) error {
		return replayTemplateChange(b,
			func(t templates.Template) error {
				last[[2]string{t.SenderKey, t.Code}] = templateChange{Put: &t}
				return nil
			},
			func(senderKey, code string) error {
				last[[2]string{senderKey, code}] = templateChange{Remove: &templates.Template{SenderKey: senderKey, Code: code}}
				return nil
			})
	})
	if err != nil {
		return nil, nil, err
	}
	if err := j.Close(); err != nil {
		return nil, nil, err
	}
	for _, k := range slices.SortedFunc(maps.Keys(last), func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	}) {
		b, err := json.Marshal(last[k])
		if err != nil {
			return nil, nil, err
		}
		keys, values = append(keys, templateKey(k[0], k[1])), append(values, b)
	}
	return keys, values, nil
}

// optOutEntries is every number on a customer's list in the opt-out
// journal, "1" each (a number taken off is not on the list: nothing to
// move).
func optOutEntries(path string) (keys []string, values [][]byte, err error) {
	l, err := optout.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	for _, c := range l.Customers() {
		for _, n := range l.Numbers(c) {
			keys, values = append(keys, optOutKey(c, n)), append(values, []byte("1"))
		}
	}
	return keys, values, nil
}
