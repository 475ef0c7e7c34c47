package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/render"
)

// ChecksOptions holds the checks command's flags and streams.
type ChecksOptions struct {
	IO     *IOStreams
	Format string
}

func newChecksCmd(ios *IOStreams) *cobra.Command {
	opts := &ChecksOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List every check wacheck makes",
		Long: `List every check: its id (as in the JSON report and --fail-on), its title, and
what it judges (the subject the probe, the files or the webhook exchange give it),
grouped by category in the order reports show them. wacheck explain ID (and
docs/checks.md) says what each status of a check means and how to fix it.`,
		Example: `  wacheck checks
  wacheck checks --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "text" && opts.Format != "json" {
				return usageErrorf("use --format text or --format json", "invalid --format %q", opts.Format)
			}
			return runChecks(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// checkEntry is one check as `wacheck checks --format json` lists it.
type checkEntry struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Title    string `json:"title"`
	Judges   string `json:"judges"`
}

func runChecks(o *ChecksOptions) error {
	var list []checkEntry
	for _, d := range checks.All() {
		cat, _, _ := strings.Cut(d.ID, ".")
		list = append(list, checkEntry{ID: d.ID, Category: cat, Title: d.Title, Judges: string(d.Needs)})
	}
	slices.SortStableFunc(list, func(a, b checkEntry) int {
		if d := render.CategoryRank(a.Category) - render.CategoryRank(b.Category); d != 0 {
			return d
		}
		return strings.Compare(a.Category, b.Category)
	})
	if o.Format == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(list); err != nil {
			return &RuntimeError{Err: fmt.Errorf("writing the list: %w", err)}
		}
		return nil
	}
	idWidth := 0
	for _, c := range list {
		idWidth = max(idWidth, len(c.ID))
	}
	var b strings.Builder
	prev := ""
	for _, c := range list {
		if c.Category != prev {
			if prev != "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%s\n", render.CategoryTitle(c.Category))
			prev = c.Category
		}
		what := judgesWords[c.Judges]
		if what == "" {
			what = c.Judges
		}
		fmt.Fprintf(&b, "  %-*s  %s (judges %s)\n", idWidth, c.ID, c.Title, what)
	}
	fmt.Fprintf(&b, "\n%d checks. `wacheck explain ID` says what one means and how to fix it.\n", len(list))
	if _, err := o.IO.Out.Write([]byte(b.String())); err != nil {
		return &RuntimeError{Err: fmt.Errorf("writing the list: %w", err)}
	}
	return nil
}

// judgesWords say what each subject kind is, in a sentence.
var judgesWords = map[string]string{
	"name":      "the target's name and port",
	"dns":       "the DNS answer",
	"addresses": "how every address fared",
	"tcp":       "a TCP connection",
	"handshake": "the sender's TLS handshake",
	"chain":     "the certificate chain",
	"staple":    "the stapled OCSP response",
	"scan":      "the protocol and cipher enumeration",
	"http":      "the request to the URL",
	"key":       "the private key given with wacheck cert --key",
	"webhook":   "the webhook exchange of wacheck webhook",
}
