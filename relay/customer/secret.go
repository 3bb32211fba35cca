package customer

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// DefaultIterations is the PBKDF2 iteration count [HashSecret] uses when
// given 0: about 25 ms of one core per bind, a cost paid once per
// connection; operators wanting more set it in the hash they store.
const DefaultIterations = 100_000

// MinIterations is the smallest iteration count a stored hash may have.
const MinIterations = 1000

const (
	hashScheme = "pbkdf2-sha256"
	saltLen    = 16
	keyLen     = 32
)

var b64 = base64.RawStdEncoding

// secretHash is a parsed stored secret.
type secretHash struct {
	iter int
	salt []byte
	key  []byte
}

// HashSecret hashes secret with a fresh random salt and returns the stored
// form (see the package doc). iter 0 means DefaultIterations.
func HashSecret(secret string, iter int) (string, error) {
	if iter == 0 {
		iter = DefaultIterations
	}
	if iter < MinIterations {
		return "", fmt.Errorf("%w: %d iterations, minimum %d", ErrBadSecretHash, iter, MinIterations)
	}
	if secret == "" {
		return "", fmt.Errorf("%w: empty secret", ErrBadSecretHash)
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key, err := pbkdf2.Key(sha256.New, secret, salt, iter, keyLen)
	if err != nil {
		return "", err
	}
	return hashScheme + "$" + strconv.Itoa(iter) + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key), nil
}

// parseSecretHash parses the stored form.
func parseSecretHash(s string) (secretHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != hashScheme {
		return secretHash{}, fmt.Errorf("%w: want %s$<iterations>$<salt>$<key>", ErrBadSecretHash, hashScheme)
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < MinIterations || iter > 100_000_000 {
		return secretHash{}, fmt.Errorf("%w: iterations %q", ErrBadSecretHash, parts[1])
	}
	salt, err := b64.DecodeString(parts[2])
	if err != nil || len(salt) < 8 {
		return secretHash{}, fmt.Errorf("%w: salt must be at least 8 bytes of base64", ErrBadSecretHash)
	}
	key, err := b64.DecodeString(parts[3])
	if err != nil || len(key) != keyLen {
		return secretHash{}, fmt.Errorf("%w: key must be %d bytes of base64", ErrBadSecretHash, keyLen)
	}
	return secretHash{iter: iter, salt: salt, key: key}, nil
}

// iterationsDone counts PBKDF2 iterations run by checks, for the tests that
// show every check costs the same.
var iterationsDone atomic.Int64

// verify reports in constant time (for a given hash) whether secret matches.
func (h secretHash) verify(secret string) bool {
	if h.iter == 0 {
		return false
	}
	iterationsDone.Add(int64(h.iter))
	got, err := pbkdf2.Key(sha256.New, secret, h.salt, h.iter, keyLen)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// pad runs n more iterations of PBKDF2 on nothing: a check of a hash with
// fewer iterations than the registry's largest is made to cost as much.
func pad(n int) {
	if n <= 0 {
		return
	}
	iterationsDone.Add(int64(n))
	_, _ = pbkdf2.Key(sha256.New, "", make([]byte, saltLen), n, keyLen)
}
