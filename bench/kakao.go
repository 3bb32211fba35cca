package bench

import "github.com/msgrelay/relay/relay"

// kakaoHook adds a simulated Kakao endpoint to the in-process relay's
// configuration and returns its stop function. It is nil until the daemon
// has a Kakao channel (a [kakao] section in relay.Config); while it is
// nil, an in-process scenario with AlimTalk or FriendTalk in its mix fails
// with ErrNoKakao. Once the channel lands, set it here: start the
// simulator from kakaobiz with k.Latency and k.FailRatio, register
// senderKey and template with it, and point cfg's [kakao] section at it.
//
// Against a running relayd (-addr) the Kakao mix needs no hook: the relay
// uses whatever Kakao endpoint it is configured with.
var kakaoHook func(cfg *relay.Config, k KakaoConfig, senderKey, template string) (stop func(), err error)
