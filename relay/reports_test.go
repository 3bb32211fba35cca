package relay

import (
	"context"
	"fmt"
	"testing"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// A read of the outbox that meets reports another door sends reads on
// past them: fewer reports than asked tells the upstream server the outbox
// has no more now, and it then waits for the next commit's notification.
func TestReportSourceReadsPastOtherDoors(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	doors := []message.Ingress{message.IngressSMPP, message.IngressSMPP, message.IngressSMPP, message.IngressUpstream, message.IngressSMPP}
	for i, in := range doors {
		m := &message.Message{Customer: "c", ClientRef: fmt.Sprint("r", i), Ingress: in, Product: message.ProductSMS,
			Sender: "15884954", Recipient: "01012345678", Text: "hello"}
		id, _, err := st.Accept(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Fail(ctx, id, message.Result{Source: message.SourceRelay, Code: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	src := &reportSource{st: st, customer: "c", stop: func() {}}
	reps, readTo, err := src.Next(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || reps[0].ClientRef != "r3" || readTo != 5 {
		t.Fatalf("read %d reports to seq %d (%v), want r3 alone, read to seq 5", len(reps), readTo, reps)
	}
	reps, readTo, err = src.Next(ctx, readTo, 2)
	if err != nil || len(reps) != 0 || readTo != 5 {
		t.Fatalf("a second read: %d reports to seq %d, %v; want none", len(reps), readTo, err)
	}
}

// Each report of a read carries its own message's id, state, result and
// times in the wire's terms.
func TestReportSourceInWireTerms(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var ids []message.ID
	for i := range 3 {
		m := &message.Message{Customer: "c", ClientRef: fmt.Sprint("r", i), Product: message.ProductSMS,
			Sender: "15884954", Recipient: "01012345678", Text: "hello"}
		id, _, err := st.Accept(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Fail(ctx, id, message.Result{Source: message.SourceRelay, Code: fmt.Sprint("code", i)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	src := &reportSource{st: st, customer: "c", stop: func() {}}
	reps, _, err := src.Next(ctx, 0, 10)
	if err != nil || len(reps) != 3 {
		t.Fatalf("%d reports, %v", len(reps), err)
	}
	for i, r := range reps {
		if r.MessageId != ids[i].String() || r.ClientRef != fmt.Sprint("r", i) || r.Customer != "c" ||
			r.ReportSeq != uint64(i+1) || r.State != upstreampb.FinalState_FAILED ||
			r.ResultSource != upstreampb.ResultSource_SOURCE_RELAY || r.ResultCode != fmt.Sprint("code", i) ||
			r.Billed != upstreampb.Product_PRODUCT_UNSPECIFIED || r.Product != upstreampb.Product_PRODUCT_SMS ||
			r.AcceptedAtMs == 0 || r.FinalAtMs == 0 || r.SentAtMs != 0 {
			t.Fatalf("report %d: %v (id %s)", i, r, ids[i])
		}
	}
}
