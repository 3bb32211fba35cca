// An ESME built on node-smpp (npm smpp), an independent peer for the relay's
// SMPP server. Usage: node esme.js PORT SYSTEM_ID PASSWORD.
// It binds as a transceiver and sends two messages in UCS2: one short
// Korean text, and a Korean text in 3 parts tied by an 8-bit reference UDH.
// It prints {"submitted":{"single":ID,"parts":[ID,ID,ID]}} once every
// submit_sm_resp is in, then waits for one receipt per message, unbinds,
// and prints {"receipts":[…],"unbound":true}.
'use strict';
const smpp = require('smpp');

const [port, systemID, password] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const errors = [];
function out(o) { console.log(JSON.stringify(o)); }
function fail(e) { errors.push(String(e)); out({ errors: errors }); process.exit(1); }
setTimeout(function () { fail('timeout'); }, 60000).unref();

function ucs2(s) { return Buffer.from(s, 'utf16le').swap16(); }

const single = '안녕하세요, 결제가 완료되었습니다.';
let long = '';
while (long.length < 150) { long += '결제 금액 12,000원 승인 완료. '; }
long = long.slice(0, 150);
const chunks = [long.slice(0, 67), long.slice(67, 134), long.slice(134)];

const session = smpp.connect({ host: '127.0.0.1', port: port });
session.on('error', fail);
session.on('enquire_link', function (pdu) { session.send(pdu.response()); });

const submitted = { single: null, parts: [null, null, null] };
let answers = 0;
const receipts = [];

session.on('deliver_sm', function (pdu) {
  session.send(pdu.response());
  if (!(pdu.esm_class & 0x04)) { return; }
  const sm = pdu.short_message || {};
  const text = Buffer.isBuffer(sm.message) ? sm.message.toString('latin1') : String(sm.message || '');
  const m = /id:(\S+).*stat:(\S+)/.exec(text);
  receipts.push({ text_id: m ? m[1] : null, stat: m ? m[2] : null,
    tlv_id: pdu.receipted_message_id || null, state: pdu.message_state });
  if (receipts.length === 2) {
    session.unbind(function (resp) { out({ receipts: receipts, unbound: resp.command_status === 0 }); process.exit(0); });
  }
});

function answered(resp, set) {
  if (resp.command_status !== 0) { fail('submit status ' + resp.command_status); }
  set(resp.message_id);
  if (++answers === 4) { out({ submitted: submitted }); }
}

session.bind_transceiver({ system_id: systemID, password: password, interface_version: 0x34 }, function (pdu) {
  if (pdu.command_status !== 0) { fail('bind status ' + pdu.command_status); }
  session.submit_sm({
    source_addr_ton: 2, source_addr_npi: 1, source_addr: '0212345678',
    dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '821012345678',
    registered_delivery: 1, data_coding: 8, short_message: ucs2(single),
  }, function (resp) { answered(resp, function (id) { submitted.single = id; }); });
  // The parts go out together: each answer waits for the whole message.
  chunks.forEach(function (c, i) {
    const udh = Buffer.from([5, 0, 3, 0x2A, 3, i + 1]);
    session.submit_sm({
      source_addr_ton: 2, source_addr_npi: 1, source_addr: '0212345678',
      dest_addr_ton: 2, dest_addr_npi: 1, destination_addr: '01012345678',
      registered_delivery: 1, esm_class: 0x40, data_coding: 8,
      short_message: Buffer.concat([udh, ucs2(c)]),
    }, function (resp) { answered(resp, function (id) { submitted.parts[i] = id; }); });
  });
});
