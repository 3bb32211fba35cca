// Package smpp is the ESME side of SMPP 3.4: a Session keeps one
// transceiver bind, or a transmitter and a receiver bind, up against one
// SMSC, and offers Submit(ctx, *pdu.SubmitSM) that returns the correlated
// submit_sm_resp. The codec is smpp/pdu; a simulated SMSC for tests is
// smpp/smpptest.
//
// # One bind
//
// Each bind is owned by one loop that dials, binds, serves and, when the
// socket dies, backs off (exponential, jittered to [d/2, d)) and starts
// over. The next dial starts only after every goroutine of the previous
// socket has returned, so a bind never has two sockets. While a socket is
// bound it runs:
//
//	          Submit ──► window slot ──► rate ──► encode, register seq ──► out
//	                                                                    │
//	socket ◄── bufio.Writer (flushed when out is empty) ◄── writer ◄────┘
//	socket ──► pdu.Reader ──► reader ─┬─► response: resolve the call
//	                                  ├─► enquire_link, unbind: answer
//	                                  └─► deliver_sm ──► queue ──► workers
//	                                       (OnDeliver, then deliver_sm_resp)
//	keep-alive: enquire_link when idle; fails calls older than
//	ResponseTimeout; an unanswered enquire_link closes the socket.
//
// No goroutine is started per message. Sequence numbers belong to the bind
// (1 … 0x7FFFFFFF, then 1 again).
//
// # Window, rate and failures
//
// A full window blocks Submit until a slot frees or ctx ends. A slot is
// held from before the request is written until its response, its timeout,
// or the death of its socket; a caller that gives up on ctx leaves the slot
// to whichever of those comes first. While the bind is down Submit waits for
// the next bind (or fails at once with ErrNotBound under Config.FailFast).
//
// The token bucket (golang.org/x/time/rate) is emptied at every bind, so a
// rebind cannot burst past the carrier's rate. ESME_RTHROTTLED and
// ESME_RMSGQFUL pause the bind for ThrottlePause and halve its rate, which
// doubles back every ThrottlePause without another throttle.
//
// What comes back to the caller:
//
//	pdu.Status                  the SMSC refused: errors.As gives the command_status
//	*RequestError{ErrConnLost}  the socket died with the request in flight: retry
//	*RequestError{ErrTimeout}   no answer within ResponseTimeout: retry
//	ErrNotBound, ErrClosed      nothing was sent
//
// The SMSC may have accepted a request that came back as ErrConnLost or
// ErrTimeout; retrying may duplicate it, which the relay tolerates (it bills
// on the receipt, once) and which is the only way never to lose one.
//
// # deliver_sm
//
// Receipts and mobile-originated messages go to Config.OnDeliver on a
// fixed pool of workers per bind behind a bounded queue; when both are full
// the deliver_sm is refused with ESME_RX_T_APPN (the SMSC retries it), so
// the reader never waits on a handler. deliver_sm_resp
// is written only after the handler returned nil, so the relay can make a
// receipt durable first; an error answers ESME_RX_T_APPN (or the pdu.Status
// it wraps) and the SMSC delivers again later. With Config.OnDeliverBatch
// a worker takes every deliver_sm waiting when it takes one and hands them
// over in one call, so the relay can make a bind's worth of receipts
// durable in one write.
//
// # Time and locks
//
// Timers use the time package; tests run the session on fake time inside
// testing/synctest bubbles over net.Pipe (smpptest.NewUnstarted and
// ServeConn). Lock order: bind.mu before conn.mu; neither is held while
// sending on a channel.
//
// # Close
//
// Close stops new submits, waits until the window is empty or ctx ends,
// sends unbind and waits for unbind_resp (at most ResponseTimeout), closes
// the sockets and waits for every goroutine.
package smpp
