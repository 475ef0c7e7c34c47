package exporter

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The Prometheus text exposition format, version 0.0.4: what /probe and
// /metrics write. The output is what client_golang wrote for the same
// metrics, byte for byte (families sorted by name, series by label values,
// label pairs by name, numbers as expfmt formats them).

// contentType is the text format's media type.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// Metric types.
const (
	typeGauge   = "gauge"
	typeCounter = "counter"
)

// family is one metric family: its name, help, type, label names and
// series. Names, help and label names are ours; label values may be
// server-controlled and are made valid UTF-8 when set.
type family struct {
	name, help, typ string
	labels          []string
	samples         []sample
	index           map[string]int // label values (joined with 0xff) → samples
}

// sample is one series: its label values, in the order of family.labels,
// and its value.
type sample struct {
	values []string
	value  float64
}

func newFamily(name, help, typ string, labels ...string) *family {
	return &family{name: name, help: help, typ: typ, labels: labels}
}

// single is a family of one series without labels, of value v.
func single(name, help, typ string, v float64) *family {
	f := newFamily(name, help, typ)
	f.set(v)
	return f
}

// set sets the series of the label values to v, replacing an earlier one
// (as a client_golang vector does). Values that are not one per label are
// dropped: that is a bug of ours, which the tests catch.
func (f *family) set(v float64, values ...string) {
	if len(values) != len(f.labels) {
		return
	}
	vs := make([]string, len(values))
	for i, s := range values {
		vs[i] = strings.ToValidUTF8(s, "\uFFFD")
	}
	key := strings.Join(vs, "\xff")
	if i, ok := f.index[key]; ok {
		f.samples[i].value = v
		return
	}
	if f.index == nil {
		f.index = map[string]int{}
	}
	f.index[key] = len(f.samples)
	f.samples = append(f.samples, sample{values: vs, value: v})
}

// writeText writes the families with samples in the text format, sorted.
// It does not change them: a cached result's families are written by
// several scrapes at once.
func writeText(w io.Writer, fams []*family) error {
	sorted := slices.Clone(fams)
	slices.SortStableFunc(sorted, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	bw := bufio.NewWriter(w)
	for _, f := range sorted {
		if len(f.samples) == 0 {
			continue // as a client_golang vector without series: no family
		}
		writeFamily(bw, f)
	}
	return bw.Flush()
}

func writeFamily(w *bufio.Writer, f *family) {
	// Label pairs are written sorted by name; series sorted by their
	// values in that order.
	order := make([]int, len(f.labels))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(f.labels[a], f.labels[b]) })
	samples := slices.Clone(f.samples)
	slices.SortStableFunc(samples, func(a, b sample) int {
		for _, i := range order {
			if c := strings.Compare(a.values[i], b.values[i]); c != 0 {
				return c
			}
		}
		return 0
	})

	w.WriteString("# HELP ")
	w.WriteString(f.name)
	w.WriteByte(' ')
	helpEscaper.WriteString(w, f.help)
	w.WriteString("\n# TYPE ")
	w.WriteString(f.name)
	w.WriteByte(' ')
	w.WriteString(f.typ)
	w.WriteByte('\n')
	num := make([]byte, 0, 32)
	for _, s := range samples {
		w.WriteString(f.name)
		for j, i := range order {
			if j == 0 {
				w.WriteByte('{')
			} else {
				w.WriteByte(',')
			}
			w.WriteString(f.labels[i])
			w.WriteString(`="`)
			valueEscaper.WriteString(w, s.values[i])
			w.WriteByte('"')
		}
		if len(order) > 0 {
			w.WriteByte('}')
		}
		w.WriteByte(' ')
		w.Write(appendFloat(num[:0], s.value))
		w.WriteByte('\n')
	}
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// appendFloat formats v as expfmt does: NaN, +Inf, -Inf, 0 for either
// zero, else the shortest 'g' form (1.79875e+09 for a Unix time).
func appendFloat(b []byte, v float64) []byte {
	switch {
	case v == 0:
		return append(b, '0')
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// serveText answers a scrape with the families.
func serveText(w http.ResponseWriter, fams []*family) {
	w.Header().Set("Content-Type", contentType)
	_ = writeText(w, fams) // the scraper went away
}
