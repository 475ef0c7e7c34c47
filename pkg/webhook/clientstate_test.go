package webhook

import (
	"encoding/json"
	"testing"

	"github.com/wacheck/wacheck/pkg/profile"
)

// TestClientState: a Microsoft Graph notification carries the secret as
// its clientState when good, another one when forged, and none (still
// valid JSON) when unsigned; the secret never appears in the other two.
func TestClientState(t *testing.T) {
	r := &run{opts: Options{Secret: []byte("wacheck-client-state-ä"), Rand: zeroReader{}}}
	d := newPayloads("T", 1700000000).build(profile.PayloadGraph, kindMessage, NonASCIIText)
	type note struct {
		Value []struct {
			ClientState *string `json:"clientState"`
		} `json:"value"`
	}
	for _, tc := range []struct {
		sig  sigKind
		want string
		none bool
	}{
		{sigGood, "wacheck-client-state-ä", false},
		{sigForged, "", false},
		{sigNone, "", true},
	} {
		var n note
		body := r.clientState(d.body, tc.sig)
		if err := json.Unmarshal(body, &n); err != nil || len(n.Value) != 1 {
			t.Fatalf("sig %d: %v\n%s", tc.sig, err, body)
		}
		cs := n.Value[0].ClientState
		switch {
		case tc.none && cs != nil:
			t.Errorf("unsigned: clientState %q", *cs)
		case !tc.none && cs == nil:
			t.Errorf("sig %d: no clientState", tc.sig)
		case tc.want != "" && *cs != tc.want:
			t.Errorf("good: clientState %q", *cs)
		case tc.sig == sigForged && *cs == "wacheck-client-state-ä":
			t.Error("forged: the real clientState")
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
	}
	return len(p), nil
}
