package tlsnames

import (
	"crypto/tls"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{Version(tls.VersionTLS13), "TLS 1.3"},
		{Version(0), "none"},
		{Alert(40), "handshake_failure (40)"},
		{Alert(112), "unrecognized_name (112)"},
		{AlertName(300), "alert_300"},
		{Group(uint16(tls.X25519)), "x25519"},
		{Group(uint16(tls.CurveP256)), "secp256r1"},
		{Group(uint16(tls.X25519MLKEM768)), "X25519MLKEM768"},
		{Group(0), "none"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
