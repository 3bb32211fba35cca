package smpptest

import (
	"github.com/msgrelay/relay/smpp/pdu"
)

// The server remembers the state of at least the last MaxRecorded messages
// for query_sm and cancel_sm: ENROUTE when accepted, then the receipt's
// state. It keeps two generations: when the newer is full it becomes the
// older, and the older, emptied, the newer.

func (s *Server) setState(id string, st pdu.MessageState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.mu.states[id]; !ok && (s.mu.states == nil || len(s.mu.states) >= s.cfg.MaxRecorded) {
		// The first generation grows as messages come: a server that sees
		// few keeps a small map, however large MaxRecorded. Once one has
		// filled, the next is sized up front, and from then on the two
		// take turns: a map cleared keeps its room, so a server that
		// remembers few (the bench's MaxRecorded of 1) does not make a map
		// for every message.
		next := s.mu.oldStates
		if next != nil {
			clear(next)
		} else if s.mu.states != nil {
			next = make(map[string]pdu.MessageState, s.cfg.MaxRecorded)
		} else {
			next = make(map[string]pdu.MessageState)
		}
		s.mu.oldStates, s.mu.states = s.mu.states, next
	}
	s.mu.states[id] = st
}

func (s *Server) state(id string) (pdu.MessageState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.mu.states[id]; ok {
		return st, true
	}
	st, ok := s.mu.oldStates[id]
	return st, ok
}

// query answers query_sm with the message's state, ESME_RQUERYFAIL if unknown.
func (p *peer) query(q *pdu.PDU) {
	id := q.Body.(*pdu.QuerySM).MessageID
	st, ok := p.s.state(id)
	if !ok {
		p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.QuerySMRespID, Status: pdu.StatusQueryFail, Sequence: q.Sequence}})
		return
	}
	p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.QuerySMRespID, Sequence: q.Sequence},
		Body: &pdu.QuerySMResp{MessageID: id, MessageState: st}})
}

// cancel answers cancel_sm: a message still ENROUTE becomes DELETED (its
// receipt, if still to come, says so); anything else is ESME_RCANCELFAIL.
func (p *peer) cancel(q *pdu.PDU) {
	id := q.Body.(*pdu.CancelSM).MessageID
	st := pdu.StatusOK
	if cur, ok := p.s.state(id); !ok || cur != pdu.StateEnroute {
		st = pdu.StatusCancelFail
	} else {
		p.s.setState(id, pdu.StateDeleted)
	}
	p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.CancelSMRespID, Status: st, Sequence: q.Sequence}})
}

// data answers data_sm like submit_sm, without receipts.
func (p *peer) data(q *pdu.PDU) {
	p.s.submits.Add(1)
	id := p.s.formatID(p.s.ids.Add(1), false)
	p.s.setState(id, pdu.StateEnroute)
	p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.DataSMRespID, Sequence: q.Sequence}, Body: &pdu.DataSMResp{MessageID: id}})
}
