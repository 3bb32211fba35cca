package upstream

import (
	"errors"
	"strings"
	"testing"
)

func TestSecretHash(t *testing.T) {
	stored, err := HashSecret("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "correct horse") || !strings.HasPrefix(stored, "pbkdf2-sha256$10000$") {
		t.Fatalf("stored form %q", stored)
	}
	if err := CheckSecretHash(stored); err != nil {
		t.Fatal(err)
	}
	if !SecretMatches(stored, "correct horse") {
		t.Fatal("right secret refused")
	}
	for _, wrong := range []string{"", "correct hors", "correct horse ", "Correct horse"} {
		if SecretMatches(stored, wrong) {
			t.Fatalf("%q accepted", wrong)
		}
	}
	again, _ := HashSecret("correct horse")
	if again == stored {
		t.Fatal("same salt twice")
	}
	// A fixed vector, so the stored form cannot change unnoticed.
	fixed, err := hashSecret("s3cret", []byte("0123456789abcdef"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	const want = "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$"
	if !strings.HasPrefix(fixed, want) || !SecretMatches(fixed, "s3cret") {
		t.Fatalf("fixed vector %q", fixed)
	}
	for _, bad := range []string{"", "plain", "bcrypt$10$x$y", "pbkdf2-sha256$10$MDEyMzQ1Njc4OWFiY2RlZg$" + strings.Repeat("A", 43),
		"pbkdf2-sha256$1000$!!$" + strings.Repeat("A", 43), "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$AA"} {
		if err := CheckSecretHash(bad); !errors.Is(err, ErrBadSecretHash) {
			t.Errorf("%q: %v", bad, err)
		}
		if SecretMatches(bad, "s3cret") {
			t.Errorf("%q matched", bad)
		}
	}
}

func BenchmarkSecretMatches(b *testing.B) {
	stored, _ := HashSecret("s3cret")
	b.ReportAllocs()
	for b.Loop() {
		SecretMatches(stored, "s3cret")
	}
}
