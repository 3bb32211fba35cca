// Generates node-smpp-vectors.json: hex PDUs encoded by node-smpp (npm
// package smpp 0.5.1, installed in smpp/interop), an implementation
// independent of ours. The Go tests decode each one to the fields they
// expect and encode it back byte for byte.
//
//	cd smpp/interop && npm ci
//	node ../pdu/testdata/vectors.js > ../pdu/testdata/node-smpp-vectors.json
'use strict';
var path = require('path');
var smpp = require(path.join(__dirname, '../../interop/node_modules/smpp'));

var receipt = 'id:0A1B2C3D sub:001 dlvrd:001 submit date:2601011200 ' +
	'done date:2601011201 stat:DELIVRD err:000 text:';
var korean = '안녕하세요. 주문하신 상품이 오늘 발송되었습니다. 배송 조회는 앱에서 확인해 주세요. 감사합니다!';

var cases = [
	['bind_transceiver', 'bind_transceiver', {sequence_number: 1, system_id: 'relay01',
		password: 'secret', system_type: 'SMPP', interface_version: 0x34,
		addr_ton: 1, addr_npi: 1, address_range: ''}],
	['bind_transmitter', 'bind_transmitter', {sequence_number: 2, system_id: 'relay01',
		password: 'secret', system_type: '', interface_version: 0x34}],
	['bind_receiver', 'bind_receiver', {sequence_number: 3, system_id: 'relay01',
		password: 'secret', system_type: '', interface_version: 0x34,
		addr_ton: 0, addr_npi: 0, address_range: '^010'}],
	['bind_transceiver_resp', 'bind_transceiver_resp', {sequence_number: 1,
		system_id: 'SMSC', sc_interface_version: 0x34}],
	['bind_transmitter_resp', 'bind_transmitter_resp', {sequence_number: 2, system_id: 'SMSC'}],
	['bind_receiver_resp_fail', 'bind_receiver_resp', {sequence_number: 3,
		command_status: smpp.ESME_RINVPASWD}],
	['outbind', 'outbind', {sequence_number: 4, system_id: 'SMSC', password: 'pw'}],
	['submit_sm_ucs2_korean', 'submit_sm', {sequence_number: 5,
		source_addr_ton: 2, source_addr_npi: 1, source_addr: '15880000',
		dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '821012345678',
		registered_delivery: 1, data_coding: 0x08, short_message: korean}],
	['submit_sm_tlvs', 'submit_sm', {sequence_number: 6, service_type: 'CMT',
		source_addr: '15880000', destination_addr: '01012345678',
		esm_class: 0, priority_flag: 1, validity_period: '260102120000000+',
		registered_delivery: 1, data_coding: 0x08, short_message: Buffer.alloc(0),
		sar_msg_ref_num: 0x1234, sar_total_segments: 3, sar_segment_seqnum: 2,
		user_message_reference: 42, source_port: 0x0B84, dest_port: 0x23F0,
		message_payload: Buffer.from('c548b155', 'hex')}],
	['submit_sm_resp', 'submit_sm_resp', {sequence_number: 5, message_id: '0A1B2C3D'}],
	['submit_sm_resp_throttled', 'submit_sm_resp', {sequence_number: 6,
		command_status: smpp.ESME_RTHROTTLED}],
	['deliver_sm_receipt', 'deliver_sm', {sequence_number: 7,
		source_addr_ton: 1, source_addr_npi: 1, source_addr: '821012345678',
		dest_addr_ton: 2, dest_addr_npi: 1, destination_addr: '15880000',
		esm_class: 0x04, short_message: Buffer.from(receipt, 'ascii'),
		receipted_message_id: '0A1B2C3D', message_state: 2,
		network_error_code: Buffer.from([3, 0, 0])}],
	['deliver_sm_resp', 'deliver_sm_resp', {sequence_number: 7}],
	['data_sm', 'data_sm', {sequence_number: 8, service_type: 'WAP',
		source_addr_ton: 5, source_addr: 'RELAY', dest_addr_ton: 1, dest_addr_npi: 1,
		destination_addr: '821012345678', esm_class: 0, registered_delivery: 1,
		data_coding: 0x04, message_payload: Buffer.from('0001020304', 'hex'),
		more_messages_to_send: 0}],
	['data_sm_resp', 'data_sm_resp', {sequence_number: 8, message_id: 'd-77',
		delivery_failure_reason: 0}],
	['query_sm', 'query_sm', {sequence_number: 9, message_id: '0A1B2C3D',
		source_addr_ton: 2, source_addr_npi: 1, source_addr: '15880000'}],
	['query_sm_resp', 'query_sm_resp', {sequence_number: 9, message_id: '0A1B2C3D',
		final_date: '260101120100000+', message_state: 2, error_code: 0}],
	['cancel_sm', 'cancel_sm', {sequence_number: 10, service_type: '',
		message_id: '0A1B2C3D', source_addr_ton: 2, source_addr_npi: 1,
		source_addr: '15880000', dest_addr_ton: 1, dest_addr_npi: 1,
		destination_addr: '821012345678'}],
	['cancel_sm_resp', 'cancel_sm_resp', {sequence_number: 10}],
	['replace_sm', 'replace_sm', {sequence_number: 11, message_id: '0A1B2C3D',
		source_addr_ton: 2, source_addr_npi: 1, source_addr: '15880000',
		schedule_delivery_time: '', validity_period: '260103000000000+',
		registered_delivery: 1, sm_default_msg_id: 0,
		short_message: Buffer.from('new text', 'ascii')}],
	['replace_sm_resp', 'replace_sm_resp', {sequence_number: 11}],
	['submit_multi', 'submit_multi', {sequence_number: 12, source_addr_ton: 2,
		source_addr_npi: 1, source_addr: '15880000',
		dest_address: [
			{dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '821012345678'},
			{dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '821087654321'},
			{dl_name: 'staff'}],
		registered_delivery: 1, data_coding: 0x08,
		short_message: Buffer.from('c548b155', 'hex')}],
	['submit_multi_resp', 'submit_multi_resp', {sequence_number: 12, message_id: 'm-1',
		unsuccess_sme: [{dest_addr_ton: 1, dest_addr_npi: 1,
			destination_addr: '821087654321', error_status_code: smpp.ESME_RINVDSTADR}]}],
	['enquire_link', 'enquire_link', {sequence_number: 13}],
	['enquire_link_resp', 'enquire_link_resp', {sequence_number: 13}],
	['unbind', 'unbind', {sequence_number: 14}],
	['unbind_resp', 'unbind_resp', {sequence_number: 14}],
	['generic_nack', 'generic_nack', {sequence_number: 15, command_status: smpp.ESME_RINVCMDID}],
	['alert_notification', 'alert_notification', {sequence_number: 16,
		source_addr_ton: 1, source_addr_npi: 1, source_addr: '821012345678',
		esme_addr_ton: 2, esme_addr_npi: 1, esme_addr: '15880000',
		ms_availability_status: 0}]
];

var out = cases.map(function(c) {
	var pdu = new smpp.PDU(c[1], Object.assign({}, c[2]));
	return {name: c[0], command: c[1], hex: pdu.toBuffer().toString('hex')};
});
process.stdout.write(JSON.stringify({
	generator: 'node-smpp ' + require(path.join(__dirname,
		'../../interop/node_modules/smpp/package.json')).version,
	vectors: out
}, null, '\t') + '\n');
