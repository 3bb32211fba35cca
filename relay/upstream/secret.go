package upstream

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Customer secrets are stored hashed, never in clear. The stored form is
//
//	pbkdf2-sha256$<iterations>$<salt, base64>$<key, base64>
//
// (base64 is RFC 4648 standard alphabet without padding). The form is part
// of the configuration format: a new scheme gets a new prefix.
const secretScheme = "pbkdf2-sha256"

// SecretIterations is the PBKDF2 work factor of HashSecret: a few
// milliseconds per check, paid once per bind, so that a reconnect storm of
// hundreds of binds after a restart costs a second of CPU, not a minute.
// Customer secrets are expected to be random (128 bits or more), which the
// work factor does not need to make up for.
const SecretIterations = 10_000

// ErrBadSecretHash is returned for a stored secret that is not in the form
// HashSecret makes.
var ErrBadSecretHash = errors.New("upstream: malformed secret hash")

// HashSecret returns the stored form of a customer secret, with a random salt.
func HashSecret(secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return hashSecret(secret, salt, SecretIterations)
}

func hashSecret(secret string, salt []byte, iter int) (string, error) {
	key, err := pbkdf2.Key(sha256.New, secret, salt, iter, 32)
	if err != nil {
		return "", fmt.Errorf("upstream: hash secret: %w", err)
	}
	enc := base64.RawStdEncoding
	return secretScheme + "$" + strconv.Itoa(iter) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// CheckSecretHash reports whether stored has the form HashSecret makes, so
// a configuration can be checked before the daemon starts.
func CheckSecretHash(stored string) error {
	_, _, _, err := parseSecretHash(stored)
	return err
}

// SecretMatches reports whether secret is the one stored; the comparison
// takes the same time wherever the two differ.
func SecretMatches(stored, secret string) bool {
	iter, salt, key, err := parseSecretHash(stored)
	if err != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, secret, salt, iter, len(key))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, key) == 1
}

func parseSecretHash(stored string) (iter int, salt, key []byte, err error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != secretScheme {
		return 0, nil, nil, ErrBadSecretHash
	}
	iter, err = strconv.Atoi(parts[1])
	if err != nil || iter < 1000 || iter > 10_000_000 {
		return 0, nil, nil, fmt.Errorf("%w: iterations %q", ErrBadSecretHash, parts[1])
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[2]); err != nil || len(salt) < 8 {
		return 0, nil, nil, fmt.Errorf("%w: salt", ErrBadSecretHash)
	}
	if key, err = enc.DecodeString(parts[3]); err != nil || len(key) < 16 || len(key) > 64 {
		return 0, nil, nil, fmt.Errorf("%w: key", ErrBadSecretHash)
	}
	return iter, salt, key, nil
}
