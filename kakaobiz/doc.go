// Package kakaobiz is a client for the Kakao BizMessage HTTP API as resold by
// dealers ("Kakao i Connect Message", bizmessage v2): AlimTalk (알림톡) and
// FriendTalk (친구톡, which Kakao sells since 2026 as "brand message"; the
// relay keeps the product names of its terms). It also holds the one table
// that turns Kakao's answers into what the relay should do next (policy.go).
//
// The package knows nothing of the relay: callers give it a [Request] and get
// back a [Result] whose [Decision] says Delivered, Fallback, FallbackAlert,
// Wait, Retry or Fail. Only this package imports fasthttp; no fasthttp type
// appears in its API.
//
// # Wire shape
//
// All bodies are UTF-8 JSON unless noted. Times are KST.
//
// Token (OAuth 2.0 client credentials), once per expiry for the whole client:
//
//	POST {base}/v2/oauth/token
//	Authorization: Basic base64(client_id ":" client_secret)
//	Content-Type: application/x-www-form-urlencoded
//
//	grant_type=client_credentials
//
//	200 {"access_token":"…","token_type":"bearer","expires_in":86399}
//	401 {"error":"invalid_client","error_description":"…"}
//
// The token is refreshed RefreshBefore ahead of its expiry by the first caller
// that notices; concurrent callers keep using the still-valid token, or, when
// none is valid, wait for that single refresh. A 401 on any call invalidates
// the token it was sent with, triggers one refresh and one retry of the call.
//
// Send, one message per call:
//
//	POST {base}/v2/send/kakao
//	Authorization: Bearer {access_token}
//	Content-Type: application/json
//
//	{"message_type":"AT",            AT AlimTalk, AI image AlimTalk,
//	                                 FT FriendTalk text, FI FriendTalk image
//	 "sender_key":"…",               sender profile key (발신프로필), 40 chars
//	 "cid":"0194f3a2b1c00001",       serial id: the relay's message id; Kakao
//	                                 refuses a second message with the same cid
//	 "template_code":"…",            AlimTalk only
//	 "phone_number":"01012345678",
//	 "sender_no":"15884954",         optional
//	 "message":"…",
//	 "title":"…",                    optional (emphasised AlimTalk title)
//	 "ad_flag":"N",                  "Y" for an advertising FriendTalk
//	 "fall_back_yn":false,           always false: the relay falls back itself
//	 "attachment":{"button":[…],     optional, the caller's JSON array as is
//	               "image":{"img_url":"…"}}}   FI only
//
// Answer (push contract: the delivery code comes back in the response):
//
//	200 {"code":"1000","message":"…","uid":"…","cid":"…","received_at":"…"}
//	400 {"code":"4xxx","message":"…"}          request refused
//	401 {"error":"invalid_token","error_description":"…"}
//	409 {"code":"4090","message":"duplicated cid","cid":"…","uid":"…"}
//	429 / 5xx, maybe with Retry-After: seconds
//
// code is Kakao's published delivery code: 1000 delivered, 3005 sent but the
// receipt is unconfirmed, 30xx/10xx failures (see policy.go).
//
// Result of a message, by its serial id (the only way a 3005 is resolved):
//
//	POST {base}/v2/info/message/search
//	Authorization: Bearer {access_token}
//
//	{"cid":"0194f3a2b1c00001"}
//
//	200 {"code":"1000", …same shape as the send answer…}
//	404 {"code":"4040","message":"not found"}
//
// # What happens to a 3005, a duplicate, a timeout
//
// A 3005 answer is Decision Wait: the message was handed to KakaoTalk but the
// handset's receipt did not come back yet. An immediate SMS fallback could
// reach the handset twice, so the caller keeps the message in kakao-sent and
// polls [Client.Lookup] with the same serial until the code is final (1000 or
// a failure code) or its 48-hour window ends.
//
// A timeout, a reset connection, a 429 or a 5xx is Decision Retry: [Client.Send]
// repeats the call with the SAME cid after a backoff (honouring Retry-After),
// so that a request Kakao did accept before the answer got lost is refused as
// a duplicate instead of being sent and billed twice.
//
// A 409 duplicate means Kakao already holds the message: Send never sends it
// again; it looks the cid up and returns that result with Duplicate set. If
// the lookup has no final answer yet the Decision is Wait.
//
// # Using it
//
//	c, err := kakaobiz.New(kakaobiz.Config{BaseURL: …, ClientID: …, ClientSecret: …})
//	res, err := c.Send(ctx, &kakaobiz.Request{Serial: id.String(), Type: kakaobiz.AlimTalk, …})
//	switch {
//	case res.Action == kakaobiz.Delivered:    // final: bill the Kakao product
//	case res.Action.FallsBack():              // new SMS/LMS leg (FallbackAlert also counted an alert)
//	case res.Action == kakaobiz.Wait:         // keep kakao-sent; poll c.Lookup(ctx, serial)
//	case res.Action == kakaobiz.Fail:         // final failure, reason in res.Reason
//	default:                                  // Retry with err: requeue, same serial, later
//	}
//
// Calls hold one of MaxConns slots for their HTTP exchange; callers beyond
// that queue until their context ends. A context is checked before each
// exchange and bounds its timeout, but an exchange in progress runs to its
// answer or RequestTimeout. Answers are decoded without reflection
// (internal/flatjson: stricter than valyala/fastjson, and faster on
// these answers but for raw non-ASCII text, measured in bench/README.md);
// bodies are copied out of fasthttp's buffers before they are released. Request text limits: 1,000 characters, 400 for an
// image FriendTalk.
package kakaobiz
