// Package alimtalk holds the AlimTalk template registry and the matcher the
// door checks every AlimTalk with.
//
// Kakao delivers an AlimTalk only if its text is one of the sender
// profile's approved templates with the variables filled in, and its
// buttons are the template's. The relay checks the same at the door, so a
// message that Kakao would refuse (result 3015/3016, days later after a
// retry) is refused at once with TEMPLATE_MISMATCH and the position where
// it first differs.
//
// # Templates
//
// A [Template] is a sender profile's template: its code, its text with
// #{variables}, the variables that may be empty, and its buttons. Config
// `[[template]]` tables load them; the admin API adds, replaces and removes
// them at run time ([Registry.Put], [Registry.Remove]), persisted by the
// registry's observer.
//
// # Matching
//
// The message's text and the template's are compared after "\r\n" becomes
// "\n" in both. Literal parts must be equal byte for byte; each variable
// matches any text, empty only if the template allows it. Variables may be
// adjacent ("#{a}#{b}"): together they match any text with at least as many
// characters as they have variables that may not be empty. Matching takes
// the leftmost occurrence of each literal part after the variables before
// it, which finds a match whenever one exists, since variables have no
// upper bound. It does not allocate unless the text has "\r\n".
//
// Buttons must be the template's in number, order, type and name; a URL
// matches the template's URL as a text does, variables and all.
package alimtalk
