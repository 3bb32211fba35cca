// A small SMSC built on node-smpp, used as an independent peer by the Go
// interop test. It listens on 127.0.0.1 (port 0), prints {"port":N}, then
// one JSON line per submit_sm it receives. For every submit it answers a
// submit_sm_resp and then sends a delivery receipt: receipt text plus the
// receipted_message_id and message_state TLVs. It exits when stdin closes.
'use strict';
const smpp = require('smpp');

const SYSTEM_ID = process.env.SMSC_SYSTEM_ID || 'relay';
const PASSWORD = process.env.SMSC_PASSWORD || 'secret';
let nextID = 0x1000;

function pad(n) { return String(n).padStart(3, '0'); }

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
    p(d.getUTCHours()) + p(d.getUTCMinutes());
}

const server = smpp.createServer(function (session) {
  let bound = false;
  session.on('error', function () {});
  const onBind = function (pdu) {
    if (pdu.system_id !== SYSTEM_ID || pdu.password !== PASSWORD) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      return;
    }
    bound = true;
    session.send(pdu.response({ system_id: 'nodesmsc' }));
    console.log(JSON.stringify({ event: 'bind', command: pdu.command, system_id: pdu.system_id }));
  };
  session.on('bind_transceiver', onBind);
  session.on('bind_transmitter', onBind);
  session.on('bind_receiver', onBind);
  session.on('enquire_link', function (pdu) { session.send(pdu.response()); });
  session.on('unbind', function (pdu) {
    session.send(pdu.response());
    session.close();
  });
  session.on('deliver_sm_resp', function (pdu) {
    console.log(JSON.stringify({ event: 'deliver_sm_resp', seq: pdu.sequence_number, status: pdu.command_status }));
  });
  session.on('submit_sm', function (pdu) {
    if (!bound) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    const id = (nextID++).toString(16).toUpperCase();
    const sm = pdu.short_message || {};
    const text = typeof sm.message === 'string' ? sm.message : String(sm.message || '');
    console.log(JSON.stringify({
      event: 'submit', id: id, dest: pdu.destination_addr, src: pdu.source_addr,
      data_coding: pdu.data_coding, text: text, registered: pdu.registered_delivery,
    }));
    session.send(pdu.response({ message_id: id }));
    const now = stamp(new Date());
    const receipt = 'id:' + id + ' sub:001 dlvrd:001 submit date:' + now + ' done date:' + now +
      ' stat:DELIVRD err:000 text:' + pad(0);
    session.deliver_sm({
      source_addr: pdu.destination_addr,
      destination_addr: pdu.source_addr,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(receipt, 'ascii'),
      receipted_message_id: id,
      message_state: 2,
    });
  });
});

server.listen(0, '127.0.0.1', function () {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.stdin.on('end', function () { process.exit(0); });
process.stdin.resume();
