// An ESME built on node-smpp, used as an independent peer by the Go interop
// test against the simulated SMSC. Usage: node esme.js PORT SYSTEM_ID PASSWORD N.
// It binds as a transceiver, submits N messages (every other one Korean, so
// UCS2), waits for every submit_sm_resp and one receipt per message, parses
// each receipt's text and TLVs, unbinds, and prints one JSON summary line.
'use strict';
const smpp = require('smpp');

const port = Number(process.argv[2]);
const systemID = process.argv[3];
const password = process.argv[4];
const n = Number(process.argv[5] || 10);

const summary = {
  bound: false, submitted: 0, responses: 0, errors: [], ids: [],
  receipts: [], matched: 0, unbound: false,
};
const ids = new Set();
const seen = new Set();

function finish(code) {
  console.log(JSON.stringify(summary));
  process.exit(code);
}
setTimeout(function () { summary.errors.push('timeout'); finish(1); }, 20000).unref();

const session = smpp.connect({ host: '127.0.0.1', port: port });
session.on('error', function (e) { summary.errors.push(String(e)); finish(1); });

function parseReceipt(text) {
  const m = /id:(\S+).*stat:(\S+)/i.exec(text);
  return m ? { id: m[1], stat: m[2].toUpperCase() } : null;
}

function maybeDone() {
  if (summary.responses === n && seen.size === n) {
    session.unbind(function (pdu) {
      summary.unbound = pdu.command_status === 0;
      finish(0);
    });
  }
}

session.on('deliver_sm', function (pdu) {
  session.send(pdu.response());
  if (!(pdu.esm_class & 0x04)) { return; }
  const sm = pdu.short_message || {};
  const text = typeof sm.message === 'string' ? sm.message : String(sm.message || '');
  const r = parseReceipt(text) || {};
  r.tlv_id = pdu.receipted_message_id || null;
  r.tlv_state = pdu.message_state === undefined ? null : pdu.message_state;
  summary.receipts.push(r);
  if (r.id && !seen.has(r.id)) {
    seen.add(r.id);
    if (ids.has(r.id)) { summary.matched++; }
  }
  maybeDone();
});

session.on('enquire_link', function (pdu) { session.send(pdu.response()); });

session.on('connect', function () {
  session.bind_transceiver({ system_id: systemID, password: password, interface_version: 0x34 }, function (pdu) {
    if (pdu.command_status !== 0) {
      summary.errors.push('bind status ' + pdu.command_status);
      finish(1);
    }
    summary.bound = true;
    for (let i = 0; i < n; i++) {
      const text = i % 2 === 0 ? '안녕하세요 interop ' + i : 'hello interop ' + i;
      summary.submitted++;
      session.submit_sm({
        source_addr: '15884954', destination_addr: '0101234' + String(i).padStart(4, '0'),
        registered_delivery: 1, short_message: text,
      }, function (resp) {
        summary.responses++;
        if (resp.command_status !== 0) {
          summary.errors.push('submit status ' + resp.command_status);
        } else {
          summary.ids.push(resp.message_id);
          ids.add(resp.message_id);
        }
        maybeDone();
      });
    }
  });
});
