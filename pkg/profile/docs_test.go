package profile

import (
	"os"
	"strings"
	"testing"
)

// assumed is how docs/senders.md marks a fact the sender does not document.
const assumed = "not documented: strict default (assumption)"

// senderSections splits docs/senders.md into its "## `key`: name" sections,
// by key.
func senderSections(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../docs/senders.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, sec := range strings.Split(string(b), "\n## ")[1:] {
		head, body, _ := strings.Cut(sec, "\n")
		if !strings.HasPrefix(head, "`") {
			continue
		}
		key, _, ok := strings.Cut(head[1:], "`")
		if !ok {
			t.Errorf("docs/senders.md: heading %q", head)
			continue
		}
		out[key] = body
	}
	return out
}

// TestEverySenderIsDocumented keeps docs/senders.md and the profiles in
// step: a section per profile, a table row per fact with its status, and
// every source's URL in that row.
func TestEverySenderIsDocumented(t *testing.T) {
	sections := senderSections(t)
	for _, p := range All() {
		body, ok := sections[p.Key]
		if !ok {
			t.Errorf("docs/senders.md has no section \"## `%s`: %s\"", p.Key, p.Name)
			continue
		}
		rows := map[string]string{}
		for _, line := range strings.Split(body, "\n") {
			if cells := strings.Split(line, " | "); len(cells) >= 3 && strings.HasPrefix(line, "| ") {
				rows[strings.TrimPrefix(cells[0], "| ")] = line
			}
		}
		for _, f := range p.Facts {
			row, ok := rows[f.Topic]
			if !ok {
				t.Errorf("%s: no row for fact %q", p.Key, f.Topic)
				continue
			}
			status := strings.TrimSuffix(row[strings.LastIndex(row, " | ")+3:], " |")
			if f.Documented != strings.HasPrefix(status, "documented: ") {
				t.Errorf("%s: fact %q is documented=%v, its row says %q", p.Key, f.Topic, f.Documented, status)
			}
			if !f.Documented && !strings.HasPrefix(status, assumed) {
				t.Errorf("%s: fact %q: an assumption's row starts %q, says %q", p.Key, f.Topic, assumed, status)
			}
			if f.Source != "" && !strings.Contains(status, f.Source) {
				t.Errorf("%s: fact %q: its source %s is not in its row", p.Key, f.Topic, f.Source)
			}
		}
		if c := p.ClientCert; c != nil {
			for _, s := range []string{c.CommonName, c.IssuerFile, c.IssuerURL} {
				if !strings.Contains(body, s) {
					t.Errorf("%s: the client certificate's %q is not in its section", p.Key, s)
				}
			}
		}
	}
	for key := range sections {
		if _, ok := Lookup(key); !ok {
			t.Errorf("docs/senders.md has a section for %q, which is no profile", key)
		}
	}
}
