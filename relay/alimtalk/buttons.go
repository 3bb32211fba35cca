package alimtalk

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ButtonsError is buttons JSON that is not a valid button list; Field
// names the element, e.g. "buttons_json[2].name".
type ButtonsError struct {
	Field  string
	Reason string
}

func (e *ButtonsError) Error() string { return e.Field + ": " + e.Reason }

// ParseButtons reads a message's buttons: Kakao's JSON array of button
// objects ({"type": "WL", "name": "…", "url_mobile": "…", …}), at most
// MaxButtons, each with a known type, a name and the links its type needs.
// "" is no buttons.
func ParseButtons(s string) ([]Button, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var bs []Button
	if err := dec.Decode(&bs); err != nil {
		return nil, &ButtonsError{Field: "buttons_json", Reason: "not a JSON array of buttons: " + err.Error()}
	}
	if dec.More() {
		return nil, &ButtonsError{Field: "buttons_json", Reason: "text after the JSON array"}
	}
	if len(bs) > MaxButtons {
		return nil, &ButtonsError{Field: "buttons_json", Reason: fmt.Sprintf("%d buttons, at most %d", len(bs), MaxButtons)}
	}
	for i := range bs {
		if err := bs[i].validate(); err != nil {
			field := fmt.Sprintf("buttons_json[%d]", i)
			switch {
			case strings.Contains(err.Error(), "type"):
				field += ".type"
			case strings.Contains(err.Error(), "name"):
				field += ".name"
			case strings.Contains(err.Error(), "url_mobile"):
				field += ".url_mobile"
			}
			return nil, &ButtonsError{Field: field, Reason: err.Error()}
		}
	}
	return bs, nil
}

// buttonPattern is a template button compiled for matching.
type buttonPattern struct {
	b         Button
	mobile    pattern
	pc        pattern
	hasMobile bool
	hasPC     bool
}

// matchButtons compares a message's buttons with the template's.
func matchButtons(t *Template, want []buttonPattern, got []Button) *MismatchError {
	bad := func(i int, format string, args ...any) *MismatchError {
		return &MismatchError{SenderKey: t.SenderKey, Code: t.Code, Field: "buttons_json", Pos: i + 1, Detail: fmt.Sprintf(format, args...)}
	}
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			return bad(i, "the template has a %s button %q, the message no button", want[i].b.Type, want[i].b.Name)
		case i >= len(want):
			return bad(i, "the template has no button, the message a %s button %q", got[i].Type, got[i].Name)
		}
		w, g := &want[i], &got[i]
		if w.b.Type != g.Type || w.b.Name != g.Name {
			return bad(i, "the template has a %s button %q, the message a %s button %q", w.b.Type, w.b.Name, g.Type, g.Name)
		}
		for _, u := range []struct {
			name string
			p    *pattern
			has  bool
			url  string
		}{{"url_mobile", &w.mobile, w.hasMobile, g.URLMobile}, {"url_pc", &w.pc, w.hasPC, g.URLPC}} {
			if !u.has {
				continue
			}
			url := crlf(u.url)
			if ok, at, _ := u.p.match(url); !ok {
				return bad(i, "%s %q differs from the template's %q at character %d", u.name, u.url, urlOf(w.b, u.name),
					utf8.RuneCountInString(url[:at])+1)
			}
		}
	}
	return nil
}

func urlOf(b Button, name string) string {
	if name == "url_pc" {
		return b.URLPC
	}
	return b.URLMobile
}
