package escape

import "testing"

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CN=R11,O=Let's Encrypt,C=US", "CN=R11,O=Let's Encrypt,C=US"},
		{"Bücher — ok", "Bücher — ok"},
		{"CN=\x1b[2J\x1b[H\x1b[31mPWNED", `CN=\x1b[2J\x1b[H\x1b[31mPWNED`},
		{"bell\a", `bell\x07`},
		{"a\r\n  ✓ all checks passed\n    fix: nothing to do", `a\r\n  ✓ all checks passed\n    fix: nothing to do`},
		{"tab\there", `tab\there`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"isolate\u2066x\u2069", `isolate\u2066x\u2069`},
		{"sep\u2028line", `sep\u2028line`},
		{"c1\u009bcsi", `c1\u009bcsi`},
		{"del\x7f", `del\x7f`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"nul\x00", `nul\x00`},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"ok", "\x1b[31m", "\u202e", "\xff", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		for _, r := range out {
			if Unsafe(r) || r == 0xfffd && !containsRuneError(s) {
				t.Fatalf("Line(%q) = %q keeps %U", s, out, r)
			}
		}
	})
}

func containsRuneError(s string) bool {
	for _, r := range s {
		if r == 0xfffd {
			return true
		}
	}
	return false
}
