package admin

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

func maxResults(n int) func(*Options) { return func(o *Options) { o.Config.MaxResults = n } }

// history sends ten acme messages a minute apart; the 2nd and 9th fail.
func historyFixture(t *testing.T) (*fixture, []string) {
	f := newFixture(t, maxResults(5))
	var refs []string
	for i := range 10 {
		final := "delivered"
		if i == 1 || i == 8 {
			final = "failed"
		}
		ref := fmt.Sprintf("h%02d", i)
		refs = append(refs, ref)
		f.send("acme", ref, "sms", "01055550000", final, testNow.Add(time.Duration(i)*time.Minute))
	}
	return f, refs
}

func (f *fixture) history(query string) historyAnswer {
	f.t.Helper()
	var a historyAnswer
	if code := f.do("GET", "/api/v1/messages?"+query, acmeToken, "", &a); code != 200 {
		f.t.Fatalf("GET %s: %d", query, code)
	}
	return a
}

func refsOf(a historyAnswer) []string {
	var out []string
	for _, m := range a.Messages {
		out = append(out, m.ClientRef)
	}
	return out
}

const historyDay = "from=2026-11-26&to=2026-11-27"

// TestHistoryFilterBeforeCut is the case of the issue: with 10 messages
// and max_results=5, ?state=failed returned 1 of 2 failures.
func TestHistoryFilterBeforeCut(t *testing.T) {
	f, _ := historyFixture(t)
	a := f.history(historyDay + "&state=failed")
	if got := refsOf(a); !slices.Equal(got, []string{"h08", "h01"}) {
		t.Fatalf("failed messages %q, want h08 h01 (newest first)", got)
	}
	if a.Next != "" {
		t.Fatalf("a complete answer has a next page: %q", a.Next)
	}
}

// TestHistoryNewestFirstPaged is the busy merchant's case: only the
// oldest max_results messages of the window were shown. Now the newest
// come first, and cursors page through all of them, both ways.
func TestHistoryNewestFirstPaged(t *testing.T) {
	f, refs := historyFixture(t)
	slices.Reverse(refs)
	first := f.history(historyDay + "&limit=4")
	if got := refsOf(first); !slices.Equal(got, refs[:4]) {
		t.Fatalf("first page %q, want %q", got, refs[:4])
	}
	if first.Total == nil || *first.Total != 10 {
		t.Fatalf("total %v, want 10", first.Total)
	}
	var all []string
	pages := []historyAnswer{}
	for a := first; ; {
		pages = append(pages, a)
		all = append(all, refsOf(a)...)
		if a.Next == "" {
			break
		}
		a = f.history(historyDay + "&limit=4&before=" + url.QueryEscape(a.Next))
	}
	if !slices.Equal(all, refs) || len(pages) != 3 {
		t.Fatalf("paged %q in %d pages, want %q in 3", all, len(pages), refs)
	}
	// Back from the last page to the one before it.
	prev := f.history(historyDay + "&limit=4&after=" + url.QueryEscape(pages[2].Prev))
	if got := refsOf(prev); !slices.Equal(got, refsOf(pages[1])) {
		t.Fatalf("previous page %q, want %q", got, refsOf(pages[1]))
	}
	// Without a limit the page is max_results long.
	if a := f.history(historyDay); len(a.Messages) != 5 || a.Next == "" {
		t.Fatalf("default page: %d messages, next %q", len(a.Messages), a.Next)
	}
}

// TestHistoryBySender is the third case: there was no search by sender.
func TestHistoryBySender(t *testing.T) {
	f, _ := historyFixture(t)
	f.sendFrom("0219998888", "acme", "other-sender", "lms", "01077770000", "delivered", testNow.Add(30*time.Minute))
	f.sendFrom("0219998888", "acme", "other-sender-2", "sms", "01077770000", "failed", testNow.Add(31*time.Minute))
	if got := refsOf(f.history(historyDay + "&sender=021-999-8888")); !slices.Equal(got, []string{"other-sender-2", "other-sender"}) {
		t.Fatalf("by sender: %q", got)
	}
	// Every other filter, each applied before the cut.
	for q, want := range map[string][]string{
		"&product=lms":                          {"other-sender"},
		"&recipient=010-7777-0000&state=failed": {"other-sender-2"},
		"&client_ref=h03":                       {"h03"},
		"&client_ref=h03&state=failed":          nil,
		"&sender=0219998888&product=sms":        {"other-sender-2"},
	} {
		if got := refsOf(f.history(historyDay + q)); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	// Dates: the window is applied too.
	if got := refsOf(f.history("from=2026-11-26T21:05:00%2B09:00&to=2026-11-26T21:07:00%2B09:00")); !slices.Equal(got, []string{"h06", "h05"}) {
		t.Errorf("time window: %q", got)
	}
}

// TestMessageDetailLegs: the detail page shows a fallen-back AlimTalk's
// Kakao leg with Kakao's code, then the SMS leg with the carrier's.
func TestMessageDetailLegs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m := &message.Message{Customer: "acme", ClientRef: "fb", Product: message.ProductAlimTalk, Sender: "0212345678",
		Recipient: "01012345678", Text: "주문 완료", Kakao: message.Kakao{SenderKey: "sk-acme", TemplateCode: "T1"}}
	id, _, err := f.st.Accept(ctx, m)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(err)
	must(f.st.MarkQueued(ctx, id))
	must(f.st.MarkSending(ctx, id, ""))
	must(f.st.Advance(ctx, id, message.StateKakaoSending, []message.State{message.StateQueued}, func(r *message.Message) {
		r.Leg++
		r.Billed = message.ProductSMS
		r.Result = message.Result{Source: message.SourceKakao, Code: "3018", Reason: "cannot receive"}
	}))
	must(f.st.MarkSending(ctx, id, "c1"))
	_, err = f.st.RecordSubmitResp(ctx, id, "c1", "cm-fb", f.now)
	must(err)
	_, err = f.st.ApplyReceipt(ctx, store.Receipt{Carrier: "c1", CarrierMsgID: "cm-fb", Final: true, Delivered: true,
		At: f.now, Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}})
	must(err)

	var page string
	if code := f.doPage("/ui/messages/"+id.String(), acmeToken, &page); code != 200 {
		t.Fatalf("detail: %d", code)
	}
	want := "alimtalk → fell back (3018 cannot receive) → sms fallback → delivered (DELIVRD)"
	if !strings.Contains(page, want) {
		t.Fatalf("detail page lacks %q:\n%s", want, page)
	}
}

// doPage signs in with token and gets a merchant page's HTML.
func (f *fixture) doPage(path, token string, out *string) int {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	defer c.CloseIdleConnections()
	resp, err := c.PostForm(f.base+"/ui/signin", url.Values{"token": {token}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(f.base + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	*out = html.UnescapeString(string(b))
	return resp.StatusCode
}
