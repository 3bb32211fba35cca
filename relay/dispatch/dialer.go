package dispatch

import (
	"errors"
	"fmt"
)

// Dialer says where each carrier and Kakao are reached. The composition
// root chooses it: the direct one below for real peers, or one that starts
// an in-process simulator for addr = "sim" and base_url = "sim".
type Dialer interface {
	// SMSC is the host:port to bind to for carrier cc, whose password is
	// already resolved.
	SMSC(cc *CarrierConfig, password string) (addr string, err error)
	// Kakao is the BizMessage API base URL and the credentials to use.
	Kakao(k *KakaoConfig, clientID, secret string) (baseURL, id, sec string, err error)
}

// ErrSimulated is returned by the direct dialer for a "sim" address.
var ErrSimulated = errors.New("dispatch: \"sim\" needs the composition root's simulator dialer")

// Direct reaches every peer at the address its configuration gives.
type Direct struct{}

// SMSC returns cc.Addr.
func (Direct) SMSC(cc *CarrierConfig, _ string) (string, error) {
	if cc.Addr == "sim" {
		return "", fmt.Errorf("carrier %q: %w", cc.Name, ErrSimulated)
	}
	return cc.Addr, nil
}

// Kakao returns k.BaseURL.
func (Direct) Kakao(k *KakaoConfig, id, secret string) (string, string, string, error) {
	if k.BaseURL == "sim" {
		return "", "", "", fmt.Errorf("kakao: %w", ErrSimulated)
	}
	return k.BaseURL, id, secret, nil
}
