package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/explain"
)

// ExplainOptions holds the explain command's flags and streams.
type ExplainOptions struct {
	IO     *IOStreams
	Format string
	ID     string
}

var explainFormats = []string{"text", "markdown", "json"}

func newExplainCmd(ios *IOStreams) *cobra.Command {
	opts := &ExplainOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "explain CHECK-ID",
		Short: "Explain a check and how to fix what it finds",
		Long: `Explain one check: what it checks, why a sender cares, what each of its
statuses means, and how to fix it on nginx, Apache, HAProxy, Caddy and the
common cloud load balancers (AWS ALB/NLB, Google Cloud, Azure Application
Gateway, Cloudflare). The ids are those of the report, --fail-on and
'wacheck checks'; docs/checks.md holds the same explanations.`,
		Example: `  wacheck explain chain.complete
  wacheck explain ocsp.stapled --format markdown`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("e.g. wacheck explain chain.complete; 'wacheck checks' lists the ids",
					"explain takes one check id, got %d", len(args))
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var ids []string
			for _, c := range explain.Registry() {
				ids = append(ids, c.ID)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(explainFormats, opts.Format) {
				return usageErrorf("use --format text, markdown or json", "invalid --format %q", opts.Format)
			}
			opts.ID = args[0]
			return runExplain(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text, markdown or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(explainFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// explainEntry is `wacheck explain --format json`: the registry's facts
// and the explanation.
type explainEntry struct {
	Title    string `json:"title"`
	Category string `json:"category"`
	Judges   string `json:"judges"`
	*explain.Explanation
}

func runExplain(o *ExplainOptions) error {
	reg := explain.Registry()
	i := slices.IndexFunc(reg, func(c explain.Check) bool { return c.ID == o.ID })
	if i < 0 {
		return unknownCheck(o.ID, reg)
	}
	c := reg[i]
	kind := c.Judges
	if w := judgesWords[kind]; w != "" {
		c.Judges = w
	}
	e, err := explain.Lookup(c.ID)
	if err != nil || e == nil {
		// TestEveryCheckIsExplained rules this out for a released build.
		return &RuntimeError{Err: fmt.Errorf("explain %s: no explanation (%v)", c.ID, err)}
	}
	var out string
	switch o.Format {
	case "json":
		b, err := json.MarshalIndent(explainEntry{Title: c.Title, Category: c.Category, Judges: kind, Explanation: e}, "", "  ")
		if err != nil {
			return &RuntimeError{Err: fmt.Errorf("explain %s: %w", c.ID, err)}
		}
		out = string(b) + "\n"
	case "markdown":
		out = explain.Markdown(c, e, 2)
	default:
		out = explain.Text(c, e, o.IO.Width())
	}
	if _, err := o.IO.Out.Write([]byte(out)); err != nil {
		return &RuntimeError{Err: fmt.Errorf("writing the explanation: %w", err)}
	}
	return nil
}

// unknownCheck is the usage error of an id no check has, with the closest
// ids as the hint.
func unknownCheck(id string, reg []explain.Check) error {
	hint := "'wacheck checks' lists every check id"
	if near := closestIDs(id, reg); len(near) > 0 {
		hint = "did you mean " + strings.Join(near, ", ") + "? " + hint
	}
	shown := id
	if len(shown) > 64 {
		shown = shown[:64] + "..."
	}
	return usageErrorf(hint, "explain: no check %q", shown)
}

// closestIDs are at most three ids close to what was typed: those of the
// category typed ("chain"), those whose name part is what was typed
// ("complete"), else those within a few edits ("chain.complet").
func closestIDs(typed string, reg []explain.Check) []string {
	typed = strings.ToLower(strings.TrimSpace(typed))
	if len(typed) > 64 {
		typed = typed[:64]
	}
	var out []string
	add := func(id string) {
		if len(out) < 3 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, c := range reg {
		_, name, _ := strings.Cut(c.ID, ".")
		if c.Category == strings.TrimSuffix(typed, ".") || name == typed || strings.HasSuffix(typed, "."+name) {
			add(c.ID)
		}
	}
	if len(out) > 0 {
		return out
	}
	best := 4 // at most 3 edits
	var cands []string
	for _, c := range reg {
		d := editDistance(typed, c.ID)
		switch {
		case d < best:
			best, cands = d, []string{c.ID}
		case d == best:
			cands = append(cands, c.ID)
		}
	}
	for _, id := range cands {
		add(id)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
