package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/pkg/profile"
)

// TestSendersListSources: the list names, for every profile, how many of
// its facts the sender documents and the sites they come from; the JSON
// carries the full source URLs.
func TestSendersListSources(t *testing.T) {
	out, err := runSendersWith(t, "", "text")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "DOCUMENTED") || !strings.Contains(lines[0], "SOURCES") {
		t.Errorf("header %q", lines[0])
	}
	for i, p := range profile.All() {
		line := lines[1+i]
		if !strings.Contains(line, sourceHosts(p)) || !strings.Contains(line, " of ") {
			t.Errorf("%s: %q lacks its sources %q", p.Key, line, sourceHosts(p))
		}
	}
	if !strings.Contains(out, "dev.twitch.tv") {
		t.Errorf("twitch's source is not listed:\n%s", out)
	}
	out, err = runSendersWith(t, "", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Senders []struct {
			Key        string   `json:"key"`
			Documented int      `json:"documented"`
			Facts      int      `json:"facts"`
			Sources    []string `json:"sources"`
		} `json:"senders"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, s := range got.Senders {
		p, _ := profile.Lookup(s.Key)
		if s.Facts != len(p.Facts) || s.Documented != p.Documented() || len(s.Sources) != len(p.Sources()) {
			t.Errorf("%s: %+v", s.Key, s)
		}
		if s.Documented > 0 && len(s.Sources) == 0 {
			t.Errorf("%s: documented facts without sources", s.Key)
		}
	}
}
