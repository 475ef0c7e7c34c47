package render

import (
	"bytes"
	"encoding/xml"

	"io"
	"strconv"
	"strings"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/pkg/report"
)

// JUnit writes r as JUnit XML for a CI system's test report (GitHub
// Actions reporters, GitLab's junit artifacts, Jenkins' junit step): one
// test suite for the run, one test case per check and address. A check
// at or above o.FailOn (fail by default; warn; never) is a <failure> with
// its detail and fix; a warning below it passes, its detail and fix in
// <system-out>; a skipped check is <skipped>. The layout follows the
// common JUnit schema (Jenkins' junit-10.xsd), stated for what wacheck
// writes in docs/schema/junit.xsd: a suite holds properties, then test
// cases, then system-out; a test case holds skipped or failure, then
// system-out.
func JUnit(w io.Writer, r *report.Report, o Options) error {
	threshold := failThreshold(o.FailOn)
	suite := junitSuite{
		Name:      suiteName(r),
		Hostname:  escape.Line(r.Target.Host),
		Time:      seconds(r.DurationMS),
		SystemOut: strings.ToUpper(string(overall(r))) + "  " + escape.Line(verdict(r).Sentence),
	}
	if !r.StartedAt.IsZero() {
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	prop := func(name, value string) {
		if value != "" {
			suite.Properties = append(suite.Properties, junitProperty{Name: name, Value: escape.Line(value)})
		}
	}
	prop("target", r.Target.Input)
	prop("kind", r.Kind)
	prop("sender", r.Sender.Key)
	prop("status", string(overall(r)))
	prop("fail_on", failOnName(o.FailOn))
	prop("tool", strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version))
	for _, g := range byCategory(r.Checks) {
		for _, c := range g.results {
			tc := junitCase{Name: caseName(c), Classname: "wacheck." + c.Category(), Time: "0"}
			body := escape.Line(strings.TrimSpace(c.Detail))
			if c.Remediation != "" && c.Status.Severity() > 0 {
				body += "\nfix: " + escape.Line(c.Remediation)
			}
			switch {
			case c.Status.Severity() > 0 && c.Status.Severity() >= threshold:
				tc.Failure = &junitFailure{Message: escape.Line(c.Title + ": " + c.Detail), Type: string(c.Status), Body: body}
				suite.Failures++
			case c.Status == report.Skip:
				tc.Skipped = &junitSkipped{Message: escape.Line(c.Detail)}
				suite.Skipped++
			case c.Status.Severity() > 0:
				tc.SystemOut = strings.ToUpper(string(c.Status)) + " (below --fail-on " + failOnName(o.FailOn) + "): " + body
			default:
				tc.SystemOut = body
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, tc)
		}
	}
	doc := junitSuites{Name: "wacheck", Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time,
		Suites: []junitSuite{suite}}
	return writeJUnitXML(w, doc)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped"`
	Failure   *junitFailure `xml:"failure"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// failThreshold is the severity from which a check fails the test case.
func failThreshold(failOn string) int {
	switch failOn {
	case "warn":
		return report.Warn.Severity()
	case "never":
		return report.Fail.Severity() + 1
	}
	return report.Fail.Severity()
}

func failOnName(failOn string) string {
	if failOn == "" {
		return "fail"
	}
	return failOn
}

// suiteName is "wacheck probe hooks.example.com:443".
func suiteName(r *report.Report) string {
	kind := r.Kind
	if kind == "" {
		kind = "probe"
	}
	what := hostPort(r.Target) + r.Target.Path
	if r.Kind == "cert" && r.Files != nil {
		what = strings.Join(r.Files.Paths, " ")
	}
	return escape.Line(strings.TrimSpace("wacheck " + kind + " " + what))
}

// caseName is "chain.complete: Certificate chain is complete (198.51.100.7)",
// with the key type of a second chain ("(RSA chain, 198.51.100.7)"): one
// name per result.
func caseName(c report.Result) string {
	s := c.ID + ": " + c.Title
	var in []string
	if c.KeyType != "" {
		in = append(in, c.KeyType+" chain")
	}
	if c.Address != "" {
		in = append(in, c.Address)
	}
	if len(in) > 0 {
		s += " (" + strings.Join(in, ", ") + ")"
	}
	return escape.Line(s)
}

// seconds writes milliseconds as JUnit's seconds: "0.129".
func seconds(msv float64) string {
	return strconv.FormatFloat(msv/1000, 'f', 3, 64)
}

// writeJUnitXML writes doc as an indented JUnit XML document, in one write.
func writeJUnitXML(w io.Writer, doc junitSuites) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}
