// Package interop holds the tests that run this module's SMPP stack against
// an independent implementation, the npm package smpp (node-smpp), in both
// directions over 127.0.0.1: our ESME against smsc.js, and esme.js against
// the simulated SMSC of smpp/smpptest. The node scripts live next to this
// file; `npm ci` here installs their one dependency.
//
// The tests skip when node or node_modules is missing, unless
// RELAY_REQUIRE_PEERS=1 is set (as CI does), when they fail instead.
package interop
