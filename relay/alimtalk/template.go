package alimtalk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrConfig marks an invalid template.
var ErrConfig = errors.New("alimtalk: invalid template")

// Limits of a template, as Kakao's template rules have them.
const (
	MaxTextChars   = 1000
	MaxButtons     = 5
	MaxButtonChars = 14 // a button's name
)

// Template is one approved AlimTalk template of a sender profile: a
// `[[template]]` table of the daemon's TOML file.
type Template struct {
	SenderKey string `toml:"sender_key" json:"sender_key"`
	Code      string `toml:"code" json:"code"`
	Text      string `toml:"text" json:"text"` // with #{variables}
	// MayBeEmpty names the variables a message may leave empty.
	MayBeEmpty []string `toml:"may_be_empty" json:"may_be_empty,omitempty"`
	Buttons    []Button `toml:"button" json:"buttons,omitempty"`
}

// Button is a template's button, as Kakao's buttons JSON writes it. URLs
// may carry #{variables}.
type Button struct {
	Type          string `toml:"type" json:"type"` // WL, AL, DS, BK, MD, BC, BT, AC
	Name          string `toml:"name" json:"name"`
	URLMobile     string `toml:"url_mobile" json:"url_mobile,omitempty"`
	URLPC         string `toml:"url_pc" json:"url_pc,omitempty"`
	SchemeAndroid string `toml:"scheme_android" json:"scheme_android,omitempty"`
	SchemeIOS     string `toml:"scheme_ios" json:"scheme_ios,omitempty"`
}

// buttonTypes are Kakao's button types: web link, app link, delivery
// search, bot keyword, message delivery, bot consultation, bot transfer,
// add channel.
var buttonTypes = []string{"WL", "AL", "DS", "BK", "MD", "BC", "BT", "AC"}

// pattern is a text with #{variables}, compiled for matching: lits[0]
// var-run[0] lits[1] … var-run[n-1] lits[n]. A run is one or more adjacent
// variables; need[i] is how many characters run i needs at least (its
// variables that may not be empty).
type pattern struct {
	lits []string
	need []int
}

// compile splits text into literal parts and runs of variables.
func compile(text string, mayBeEmpty []string) (pattern, error) {
	text = crlf(text)
	p := pattern{lits: []string{""}}
	addLit := func(s string) {
		if s == "" {
			return
		}
		if len(p.lits) == len(p.need) { // the last part is a run
			p.lits = append(p.lits, s)
		} else {
			p.lits[len(p.lits)-1] += s
		}
	}
	for {
		i := strings.Index(text, "#{")
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			return p, fmt.Errorf("unterminated variable %q", firstChars(text[i:], 20))
		}
		name := text[i+2 : i+j]
		if name == "" || strings.ContainsAny(name, "#{ \n") {
			return p, fmt.Errorf("bad variable name %q", name)
		}
		addLit(text[:i])
		if len(p.lits) > len(p.need) { // a run starts
			p.need = append(p.need, 0)
		}
		if !slices.Contains(mayBeEmpty, name) {
			p.need[len(p.need)-1]++
		}
		text = text[i+j+1:]
	}
	addLit(text)
	if len(p.lits) == len(p.need) {
		p.lits = append(p.lits, "")
	}
	return p, nil
}

// Validate checks a template's own rules; errors wrap ErrConfig.
func (t *Template) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: sender profile %q template %q: %s", ErrConfig, t.SenderKey, t.Code, fmt.Sprintf(format, args...))
	}
	switch {
	case t.SenderKey == "":
		return bad("no sender_key")
	case t.Code == "" || len(t.Code) > 64 || strings.ContainsAny(t.Code, " /\t\r\n"):
		return bad("code must be 1 to 64 characters without spaces or '/'")
	case t.Text == "":
		return bad("no text")
	case !utf8.ValidString(t.Text):
		return bad("text is not UTF-8")
	}
	if n := utf8.RuneCountInString(t.Text); n > MaxTextChars {
		return bad("text is %d characters, at most %d", n, MaxTextChars)
	}
	if _, err := compile(t.Text, t.MayBeEmpty); err != nil {
		return bad("text: %v", err)
	}
	if len(t.Buttons) > MaxButtons {
		return bad("%d buttons, at most %d", len(t.Buttons), MaxButtons)
	}
	for i, b := range t.Buttons {
		if err := b.validate(); err != nil {
			return bad("button %d: %v", i+1, err)
		}
		for _, u := range []string{b.URLMobile, b.URLPC} {
			if _, err := compile(u, nil); err != nil {
				return bad("button %d: url: %v", i+1, err)
			}
		}
	}
	return nil
}

func (b *Button) validate() error {
	switch {
	case !slices.Contains(buttonTypes, b.Type):
		return fmt.Errorf("type %q is not one of %v", b.Type, buttonTypes)
	case b.Name == "":
		return errors.New("no name")
	case utf8.RuneCountInString(b.Name) > MaxButtonChars:
		return fmt.Errorf("name %q is over %d characters", b.Name, MaxButtonChars)
	case b.Type == "WL" && b.URLMobile == "":
		return errors.New("a WL (web link) button needs url_mobile")
	case b.Type == "AL" && b.SchemeAndroid == "" && b.SchemeIOS == "" && b.URLMobile == "":
		return errors.New("an AL (app link) button needs a scheme or url_mobile")
	}
	return nil
}

// crlf returns s with every "\r\n" as "\n"; s itself if it has none.
func crlf(s string) string {
	if !strings.Contains(s, "\r\n") {
		return s
	}
	return strings.ReplaceAll(s, "\r\n", "\n")
}

func firstChars(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}
