package customer

import "testing"

// BenchmarkAuthenticate is one bind's cost at DefaultIterations.
func BenchmarkAuthenticate(b *testing.B) {
	h, err := HashSecret("bench-secret", DefaultIterations)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := Load([]Config{{ID: "shop", SecretHash: h, Products: []string{"sms"}}}, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	r := NewRegistry(cs, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Authenticate("shop", "bench-secret"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	r := testRegistry(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if r.Get("shop") == nil {
			b.Fatal("missing")
		}
	}
}
