package store

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("store: not found")
	ErrClosed   = errors.New("store: closed")
	// ErrInvalid: the message, or a write of it, breaks a rule of the
	// store, such as a field longer than it keeps (errors.As a
	// *message.FieldError). Permanent: the same write is refused again. It
	// never means the store failed.
	ErrInvalid = errors.New("store: invalid message")
	// ErrFailed is returned by every write after a commit failed: after a
	// failed sync nothing written since the last good sync can be trusted,
	// so the store must be reopened (which replays the WAL).
	ErrFailed = errors.New("store: failed; reopen")
	// ErrAborted is returned to the writes that shared a batch with a write
	// that failed half-way; none of them was applied and each may be retried.
	ErrAborted = errors.New("store: batch aborted")
)

// Options configure a Store. The zero value is usable.
type Options struct {
	FS        vfs.FS           // file system; nil means the OS disk
	Now       func() time.Time // wall clock; nil means time.Now
	Logger    *slog.Logger     // nil means slog.Default()
	Metrics   *metrics.Set     // nil means a private set
	MaxGroup  int              // most writes sharing one batch and fsync; default 1024
	PurgeStep int              // records per purge or expiry batch; default 512
	ParkedTTL time.Duration    // how long a receipt waits for its id; default DefaultParkedTTL
	// Validity is how long after its acceptance a message must be final:
	// its deadline (the due table) is acceptance + Validity, or the
	// submitter's earlier one (message.Message.Deadline). Default 47h; at
	// most message.ResultWindow.
	Validity  time.Duration
	CacheSize int64 // Pebble block cache bytes; default 64 MiB

	// MemTableSize is the size of Pebble's memtables; default 64 MiB.
	// Larger tables flush less often, and a message's short-lived index
	// keys are more often written and deleted within one table. At most
	// two are held at once.
	MemTableSize int64

	// CommitDelay bounds how long a busy group, about to be handed to a
	// free syncer, keeps taking the writes on their way (see gather).
	// Default 200µs, under the time of one synced write on the disks
	// measured; negative: never.
	CommitDelay time.Duration
	// DueDelay is how long after its acceptance a message's due key waits
	// in memory (dueWindow): one final by then never writes it, nor its
	// removal. Default DefaultDueDelay; negative: written at acceptance.
	DueDelay time.Duration

	// CommitSiblings makes a group busy: it, or the recent groups on
	// average, hold at least this many writes. Default 8.
	CommitSiblings int

	// Accounts maps a carrier's name to its account, the one login at one
	// SMSC whose receipts it shares, for every carrier whose account is not
	// its name ([[carrier]] account): the dlr and parked tables key a
	// carrier message id by account, since the SMSC may send a receipt on
	// the bind of any carrier of the account. A carrier not in it is its
	// own account. Store.SetAccounts replaces it.
	Accounts map[string]string

	// IDNode is the cluster node's number, kept in the low bits of every
	// message id (message.ID); 0 for a relay alone.
	IDNode uint8

	// OnReports, if set, is called with a customer after a commit that
	// added reports to the customer's outbox, once per customer and
	// commit, once they are durable. It runs on the store's commit
	// goroutine: it must return quickly and must not call the store.
	OnReports func(customer string)

	// OnFinal, if set, is called with every message a commit made final
	// (a copy), once it is durable, after OnReports. It runs on the
	// store's commit goroutine: it must return quickly and must not call
	// the store.
	OnFinal func(m *message.Message)
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	if o.MaxGroup < 0 || o.PurgeStep < 0 || o.ParkedTTL < 0 || o.CacheSize < 0 || o.MemTableSize < 0 || o.CommitSiblings < 0 || o.Validity < 0 {
		return fmt.Errorf("store: negative option in %+v", *o)
	}
	if o.Validity > message.ResultWindow {
		return fmt.Errorf("store: validity %v over the %v ceiling", o.Validity, message.ResultWindow)
	}
	return nil
}

func (o *Options) setDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewSet()
	}
	if o.MaxGroup == 0 {
		o.MaxGroup = 1024
	}
	if o.PurgeStep == 0 {
		o.PurgeStep = 512
	}
	if o.ParkedTTL == 0 {
		o.ParkedTTL = DefaultParkedTTL
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.CacheSize == 0 {
		o.CacheSize = 64 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
	}
	if o.CommitDelay == 0 {
		o.CommitDelay = 200 * time.Microsecond
	}
	if o.CommitSiblings == 0 {
		o.CommitSiblings = 8
	}
	if o.DueDelay == 0 {
		o.DueDelay = DefaultDueDelay
	}
}

// Store is the relay's durable state. All methods are safe for concurrent use.
type Store struct {
	db   *pebble.DB
	opts Options
	// purgeStepDone, when set (by tests), is called after each committed
	// batch of PurgeCustomer, between its commits.
	purgeStepDone func()
	// committing, when set (by tests), is called on the sync goroutine
	// with each batch just before its commit.
	committing func(*pebble.Batch)
	log        *slog.Logger
	now        func() time.Time
	ids        message.IDGen
	m          *storeMetrics

	hot   hotCache    // builder goroutine only
	win   dueWindow   // builder goroutine only
	days  seoulDates  // builder goroutine only
	tails reportTails // the newest synced reports, for Reports
	refs  *refFilter  // client references that may exist
	dlrs  *refFilter  // receipt index keys (carrier ids) that may exist

	accounts atomic.Pointer[map[string]string] // Options.Accounts, or SetAccounts'

	floors    outboxFloors // where each customer's outbox starts (outboxexpiry.go)
	scheduled atomic.Int64 // keys in the sched table (schedule.go)

	ops       chan *op      // unbuffered: a send succeeds only into buildLoop
	ready     chan struct{} // the syncer is free for the next group
	toSync    chan *group   // buffered 1: the group handed over on ready
	buildDone chan struct{} // closed when buildLoop has returned
	stop      chan struct{}
	failed    chan struct{} // closed by fail
	wg        sync.WaitGroup

	spare chan groupSpare // what synced groups leave to new ones (recycle)

	// handed counts the groups handed to the syncer; synced.n those it has
	// finished, and synced.next is closed when it finishes the next one.
	handed atomic.Uint64
	synced struct {
		sync.Mutex
		n    uint64
		next chan struct{}
	}

	mu struct {
		sync.Mutex
		inflight []*group // built, not yet visible in Pebble, oldest first
		failed   error    // sticky: the first failed commit
	}

	closeOnce sync.Once
	closeErr  error
}

// Open opens (or creates) the store in dir. It starts the commit pipeline;
// call Close to stop it. Call Recover next to get the messages to dispatch.
func Open(dir string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.setDefaults()
	// Pebble charges its memtables to the block cache: a cache no larger
	// than the memtables caches nothing, and every read of a flushed table
	// goes to the disk. It holds CacheSize of blocks on top of the tables
	// (the mutable one and one being flushed).
	cache := pebble.NewCache(opts.CacheSize + 2*opts.MemTableSize)
	defer cache.Unref()
	popts := &pebble.Options{
		FS:                 opts.FS,
		Cache:              cache,
		Logger:             pebbleLogger{opts.Logger},
		MemTableSize:       uint64(opts.MemTableSize),
		FormatMajorVersion: pebble.FormatNewest,
		// A msg record's state deltas are Pebble merges, which this
		// merger appends to the record: part of the on-disk format.
		Merger: pebble.DefaultMerger,
		// Let L0 grow to 8 sublevels before compacting it into the base
		// level (Pebble's default is 4): every message writes its record
		// and index keys once and rewrites the record twice within
		// seconds, so larger, rarer compactions rewrite the base level
		// less. Reads barely notice: the hot cache and the reference
		// filter answer most of them, bloom filters the rest.
		L0CompactionThreshold: 8,
		L0StopWritesThreshold: 32,
	}
	// Most point reads look for keys that are not there (a new client
	// reference, a receipt not yet recorded): bloom filters skip the tables.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s := &Store{
		db:        db,
		opts:      opts,
		log:       opts.Logger,
		now:       opts.Now,
		m:         newStoreMetrics(opts.Metrics),
		ops:       make(chan *op),
		ready:     make(chan struct{}),
		toSync:    make(chan *group, 1),
		spare:     make(chan groupSpare, 2),
		buildDone: make(chan struct{}),
		stop:      make(chan struct{}),
		failed:    make(chan struct{}),
	}
	s.synced.next = make(chan struct{})
	s.ids.Now, s.ids.Node = opts.Now, opts.IDNode
	last, err := s.lastID()
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ids.Observe(last)
	if err := s.settleDue(last); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: due keys of the last window: %w", err)
	}
	s.win.delay = max(int64(opts.DueDelay), 0)
	if err := s.hot.loadParked(db); err != nil {
		db.Close()
		return nil, err
	}
	s.SetAccounts(opts.Accounts)
	if err := s.countScheduled(); err != nil {
		db.Close()
		return nil, err
	}
	s.refs, s.dlrs = newRefFilter(tRef), newRefFilter(tDLR)
	s.wg.Add(3)
	go s.buildLoop()
	go s.syncLoop()
	go func() {
		defer s.wg.Done()
		// The scan waits for recovery (or the first acceptance), so that
		// it does not slow the restart.
		select {
		case <-s.refs.start:
		case <-s.stop:
			return
		}
		if err := s.refs.fill(db, s.stop); err != nil {
			s.log.Warn("store: reference filter not filled; lookups go to disk", "err", err)
		}
		if err := s.dlrs.fill(db, s.stop); err != nil {
			s.log.Warn("store: receipt index filter not filled; lookups go to disk", "err", err)
		}
	}()
	return s, nil
}

// lastID is the greatest message id in the store, so that new ids stay
// greater even if the clock stepped back across a restart.
func (s *Store) lastID() (message.ID, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{tMsg}, UpperBound: []byte{tMsg + 1},
	})
	if err != nil {
		return 0, err
	}
	var id message.ID
	if it.Last() {
		id = idAt(it.Key())
	}
	return id, it.Close()
}

// Close stops the commit pipeline (writes it has taken are committed and
// answered; writes not yet taken fail with ErrClosed) and closes Pebble.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		s.closeErr = s.closeDB()
	})
	return s.closeErr
}

func (s *Store) closeDB() (err error) {
	defer catchFatal(&err)
	return s.db.Close()
}

// pebbleLogger sends Pebble's log lines to the injected logger.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf must not return. It panics with a pebbleFatal, which the commit
// goroutine turns into an error for every waiting writer and a store that
// refuses further writes (Pebble gives up on a failed WAL write or sync, and
// so do we: the caller must reopen).
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error("pebble: fatal: " + msg)
	panic(pebbleFatal{msg})
}

type pebbleFatal struct{ msg string }

func (f pebbleFatal) Error() string { return "store: pebble: " + f.msg }

// catchFatal turns a pebbleFatal panic into *err; any other panic goes on.
func catchFatal(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(pebbleFatal)
		if !ok {
			panic(r)
		}
		*err = f
	}
}
