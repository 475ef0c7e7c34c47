package subject

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wacheck/wacheck/internal/readfile"
)

// Limits on what the files adapter reads: certificate, key and staple files
// are small, and anything bigger is not one.
const (
	// MaxFileSize bounds every file read.
	MaxFileSize = 1 << 20
	// MaxCertsPerFile bounds the certificates taken from one file.
	MaxCertsPerFile = 100
	// MaxFetchSize bounds one --fetch-intermediates download.
	MaxFetchSize = 64 << 10
	// FetchTimeout bounds one --fetch-intermediates download.
	FetchTimeout = 5 * time.Second
	// maxRedirects bounds the redirects one fetch follows.
	maxRedirects = 3
)

// CertFiles names the files of one certificate check (wacheck cert).
type CertFiles struct {
	// Certs are the certificate files, in the order given.
	Certs []string
	// Name is the host name the leaf must cover, "" when none was given.
	Name string
	// Staple is an OCSP response file, "" when none was given.
	Staple string
	// Key is a PEM private key file, "" when none was given.
	Key string
}

// FileError is a file that cannot be judged: missing, not a regular file,
// empty, too big, or not what it should hold. Error is "PATH: what is
// wrong"; Hint says what to do.
type FileError struct {
	Path string
	Err  error
	Hint string
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// FileCert is one certificate read from a file.
type FileCert struct {
	DER  []byte
	Cert *x509.Certificate
	File string
}

// FromFiles reads certificate files (and a staple and a key, when named)
// and makes their one Set. The chain is the certificates in the order
// given, files in argument order; when several files are given and the
// leaf (see LeafIndex) is not first, it is moved to the front and the rest
// keep their order. One file is judged exactly as given, as a server serves
// its chain file. Without --staple the OCSP checks, and without --key
// key.match, are skipped with a reason.
func FromFiles(f CertFiles) (*Set, error) {
	certs, err := ReadCertFiles(f.Certs)
	if err != nil {
		return nil, err
	}
	if len(f.Certs) > 1 {
		parsed := make([]*x509.Certificate, len(certs))
		for i, c := range certs {
			parsed[i] = c.Cert
		}
		if i := LeafIndex(parsed); i > 0 {
			certs = append([]FileCert{certs[i]}, slices.Delete(slices.Clone(certs), i, i+1)...)
		}
	}
	ders := make([][]byte, len(certs))
	for i, c := range certs {
		ders[i] = c.DER
	}
	s := &Set{Chain: &Chain{Certs: ders, Name: f.Name, Source: "files", Files: slices.Clone(f.Certs)}}
	if f.Staple != "" {
		raw, err := ReadStaple(f.Staple)
		if err != nil {
			return nil, err
		}
		s.Staple = &Staple{Raw: raw}
	} else {
		s.miss(KindStaple, "no OCSP response given: pass the one the server staples with --staple FILE")
	}
	if f.Key != "" {
		pub, err := ReadKey(f.Key)
		if err != nil {
			return nil, err
		}
		s.Key = &Key{Public: pub, File: f.Key}
	} else {
		s.miss(KindKey, "no private key given: pass it with --key FILE to check it belongs to the leaf")
	}
	return s, nil
}

// ReadCertFiles reads the certificates of each file in turn (see
// ReadCerts).
func ReadCertFiles(paths []string) ([]FileCert, error) {
	var out []FileCert
	for _, p := range paths {
		certs, err := ReadCerts(p)
		if err != nil {
			return nil, err
		}
		out = append(out, certs...)
	}
	return out, nil
}

const certHint = "give PEM or DER certificate files, e.g. wacheck cert /etc/letsencrypt/live/NAME/fullchain.pem"

// ReadCerts reads one certificate file: PEM with any number of CERTIFICATE
// blocks (other blocks, such as the private key HAProxy keeps beside the
// chain, are skipped), a PKCS #7 bundle (PEM or DER), or DER certificates.
// The certificates keep the file's order.
func ReadCerts(path string) ([]FileCert, error) {
	data, err := readFile(path, "certificate", certHint)
	if err != nil {
		return nil, err
	}
	ders, err := parseCertData(data)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.Path = path
			return nil, fe
		}
		return nil, &FileError{Path: path, Err: err, Hint: certHint}
	}
	out := make([]FileCert, len(ders))
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, &FileError{Path: path, Err: fmt.Errorf("certificate %d does not parse: %v", i+1, err),
				Hint: "check the file with openssl x509 -noout -text -in " + path}
		}
		out[i] = FileCert{DER: der, Cert: c, File: path}
	}
	return out, nil
}

// parseCertData returns the DER certificates in data, PEM, PKCS #7 or DER.
func parseCertData(data []byte) ([][]byte, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return parseCertDER(data)
	}
	var ders [][]byte
	var others []string
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			ders = append(ders, b.Bytes)
		case "PKCS7":
			certs, err := parsePKCS7(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the PKCS7 block does not parse: %v", err)
			}
			ders = append(ders, certs...)
		default:
			if !slices.Contains(others, b.Type) {
				others = append(others, b.Type)
			}
		}
		if len(ders) > MaxCertsPerFile {
			return nil, &FileError{Err: fmt.Errorf("more than %d certificates: not a chain file", MaxCertsPerFile),
				Hint: "give the server's chain file (leaf and intermediates), not a CA bundle"}
		}
	}
	// pem.Decode skips a block whose base64 is damaged without a word:
	// a truncated copy and paste would silently lose a certificate.
	if n := bytes.Count(data, []byte("-----BEGIN CERTIFICATE-----")); n > len(ders) {
		return nil, &FileError{Err: errors.New("a CERTIFICATE block is damaged (bad base64 or no END line)"),
			Hint: "copy the certificate again, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- inclusive"}
	}
	if len(ders) > 0 {
		return ders, nil
	}
	switch {
	case slices.ContainsFunc(others, func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }):
		return nil, &FileError{Err: fmt.Errorf("no certificate in it, only a private key (%s)", strings.Join(others, ", ")),
			Hint: "give the certificate file as the argument and the key with --key FILE"}
	case slices.Contains(others, "CERTIFICATE REQUEST") || slices.Contains(others, "NEW CERTIFICATE REQUEST"):
		return nil, &FileError{Err: errors.New("no certificate in it, only a certificate request (CSR)"),
			Hint: "give the certificate your CA issued for this request"}
	case len(others) > 0:
		return nil, &FileError{Err: fmt.Errorf("no CERTIFICATE block in it (found %s)", strings.Join(others, ", ")),
			Hint: certHint}
	}
	return nil, &FileError{Err: errors.New("no PEM block could be read (damaged base64 or no END line)"), Hint: certHint}
}

// parseCertDER reads DER: one or more concatenated certificates, or a
// PKCS #7 bundle.
func parseCertDER(data []byte) ([][]byte, error) {
	if certs, err := x509.ParseCertificates(data); err == nil && len(certs) > 0 {
		if len(certs) > MaxCertsPerFile {
			return nil, &FileError{Err: fmt.Errorf("more than %d certificates: not a chain file", MaxCertsPerFile),
				Hint: "give the server's chain file (leaf and intermediates), not a CA bundle"}
		}
		out := make([][]byte, len(certs))
		for i, c := range certs {
			out[i] = c.Raw
		}
		return out, nil
	}
	if ders, err := parsePKCS7(data); err == nil {
		if len(ders) == 0 {
			return nil, errors.New("a PKCS #7 bundle without certificates")
		}
		if len(ders) > MaxCertsPerFile {
			return nil, fmt.Errorf("more than %d certificates: not a chain file", MaxCertsPerFile)
		}
		return ders, nil
	}
	if isDERKey(data) {
		return nil, &FileError{Err: errors.New("no certificate in it, only a private key (DER)"),
			Hint: "give the certificate file as the argument and the key, as PEM, with --key FILE"}
	}
	return nil, errors.New("not a certificate: neither PEM (-----BEGIN CERTIFICATE-----) nor DER")
}

func isDERKey(data []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return true
	}
	_, err := x509.ParseECPrivateKey(data)
	return err == nil
}

// LeafIndex picks the leaf among certificates given in any order: a
// certificate that is not a CA and issued none of the others. When several
// qualify (a stray certificate), the one with the longest issuing path
// through the others wins, then the first given. -1 when none qualifies.
// Issuers are matched by name and key identifier, which is enough to order
// them; the checks verify the signatures.
func LeafIndex(certs []*x509.Certificate) int {
	best, bestLen := -1, 0
	for i, c := range certs {
		if c == nil || c.IsCA || issuedAnother(i, certs) {
			continue
		}
		if n := pathLen(i, certs); n > bestLen {
			best, bestLen = i, n
		}
	}
	return best
}

func issuedAnother(i int, certs []*x509.Certificate) bool {
	for j, o := range certs {
		if j != i && o != nil && namesIssuer(o, certs[i]) {
			return true
		}
	}
	return false
}

// namesIssuer reports whether child names parent as its issuer: the
// subject, and the key identifier where both carry one.
func namesIssuer(child, parent *x509.Certificate) bool {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	return len(child.AuthorityKeyId) == 0 || len(parent.SubjectKeyId) == 0 ||
		bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
}

// pathLen is the length of the issuing path from certs[i] through the
// others, by names.
func pathLen(i int, certs []*x509.Certificate) int {
	used := map[int]bool{i: true}
	cur := certs[i]
	for !bytes.Equal(cur.RawIssuer, cur.RawSubject) {
		next := -1
		for j, o := range certs {
			if !used[j] && o != nil && namesIssuer(cur, o) {
				next = j
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		cur = certs[next]
	}
	return len(used)
}

const keyHint = "give the server's PEM private key, e.g. --key /etc/letsencrypt/live/NAME/privkey.pem"

// ReadKey reads a PEM private key (PKCS #1, PKCS #8 or SEC 1 EC; blocks
// that are not keys are skipped) and returns its public half. An encrypted
// key, a DER key or a file with more than one key is an error.
func ReadKey(path string) (crypto.PublicKey, error) {
	data, err := readFile(path, "key", keyHint)
	if err != nil {
		return nil, err
	}
	bad := func(hint, format string, a ...any) error {
		return &FileError{Path: path, Err: fmt.Errorf(format, a...), Hint: hint}
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		if isDERKey(data) {
			return nil, bad("convert it to PEM: openssl pkey -inform DER -in "+path+" -out key.pem",
				"not a PEM private key (it is DER)")
		}
		return nil, bad(keyHint, "not a PEM private key")
	}
	var keys []any
	var others []string
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		var k any
		var err error
		switch b.Type {
		case "ENCRYPTED PRIVATE KEY":
			return nil, encryptedKey(path)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, encryptedKey(path)
			}
			if b.Type == "RSA PRIVATE KEY" {
				k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
			} else {
				k, err = x509.ParseECPrivateKey(b.Bytes)
			}
		default:
			others = append(others, b.Type)
			continue
		}
		if err != nil {
			return nil, bad("check it with openssl pkey -noout -in "+path, "the %s block does not parse: %v", b.Type, err)
		}
		keys = append(keys, k)
	}
	switch {
	case len(keys) > 1:
		return nil, bad("give a file with the one key of the certificate", "%d private keys in one file", len(keys))
	case len(keys) == 0 && len(others) > 0:
		return nil, bad(keyHint, "no private key in it (found %s)", strings.Join(others, ", "))
	case len(keys) == 0:
		return nil, bad(keyHint, "not a PEM private key (no PEM block could be read)")
	}
	signer, ok := keys[0].(crypto.Signer)
	if !ok {
		return nil, bad(keyHint, "a %T is not a key a certificate is issued for", keys[0])
	}
	return signer.Public(), nil
}

func encryptedKey(path string) error {
	return &FileError{Path: path, Err: errors.New("the private key is encrypted"),
		Hint: "wacheck reads unencrypted keys only: decrypt a copy with openssl pkey -in " + path + " -out plain-key.pem"}
}

const stapleHint = "give a DER OCSP response, e.g. from openssl ocsp -issuer chain.pem -cert cert.pem -url URL -respout staple.der"

// ReadStaple reads an OCSP response: DER, or PEM with an OCSP RESPONSE
// block. The checks judge what it says; only a file that cannot be one is
// refused here.
func ReadStaple(path string) ([]byte, error) {
	data, err := readFile(path, "OCSP response", stapleHint)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
			if b.Type == "OCSP RESPONSE" {
				return b.Bytes, nil
			}
		}
		return nil, &FileError{Path: path, Err: errors.New("no OCSP RESPONSE block in it"), Hint: stapleHint}
	}
	if data[0] != 0x30 { // an OCSPResponse is a DER SEQUENCE
		return nil, &FileError{Path: path, Err: errors.New("not an OCSP response (neither DER nor PEM)"), Hint: stapleHint}
	}
	return data, nil
}

// readFile reads a regular file of at most MaxFileSize bytes (package
// readfile); what names what it should hold, for the messages.
func readFile(path, what, hint string) ([]byte, error) {
	bad := func(format string, a ...any) error {
		return &FileError{Path: path, Err: fmt.Errorf(format, a...), Hint: hint}
	}
	data, err := readfile.Regular(path, MaxFileSize)
	var nr *readfile.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, bad("%v, not a %s file", nr, what)
	case errors.Is(err, readfile.ErrTooLarge):
		return nil, bad("larger than %d KiB: not a %s file", MaxFileSize>>10, what)
	case err != nil:
		return nil, &FileError{Path: path, Err: readfile.Words(err), Hint: hint}
	case len(bytes.TrimSpace(data)) == 0:
		return nil, bad("the file is empty")
	}
	return data, nil
}

// FetchClient is the HTTP client --fetch-intermediates uses: plain http
// only (as browsers fetch CA Issuers URLs), FetchTimeout per request, at
// most three redirects.
func FetchClient() *http.Client {
	return &http.Client{
		Timeout: FetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" {
				return fmt.Errorf("redirected to %s: only http:// is fetched", req.URL.Scheme)
			}
			return nil
		},
	}
}

// FetchIssuer downloads the certificates at a CA Issuers URL (a
// certificate's AIA): DER, PEM or a PKCS #7 "certs-only" bundle, at most
// MaxFetchSize bytes, within FetchTimeout. Only http:// URLs are fetched.
func FetchIssuer(ctx context.Context, client *http.Client, rawURL string) ([]*x509.Certificate, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, errors.New("not fetched: only http:// CA Issuers URLs are fetched")
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFetchSize+1))
	switch {
	case err != nil:
		return nil, err
	case len(data) > MaxFetchSize:
		return nil, fmt.Errorf("larger than %d KiB: not a certificate", MaxFetchSize>>10)
	case len(data) == 0:
		return nil, errors.New("an empty answer")
	}
	ders, err := parseCertData(data)
	if err != nil {
		return nil, errors.New("not a certificate (DER, PEM or PKCS #7)")
	}
	var out []*x509.Certificate
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("a certificate that does not parse: %v", err)
		}
		out = append(out, c)
	}
	return out, nil
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// parsePKCS7 returns the certificates of a PKCS #7 SignedData (RFC 2315), as
// CAs publish "certs-only" bundles (.p7c, .p7b). Nothing is verified.
func parsePKCS7(der []byte) ([][]byte, error) {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0"` // [0] EXPLICIT, taken whole
	}
	if rest, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, err
	} else if len(bytes.TrimRight(rest, "\x00")) > 0 {
		return nil, errors.New("trailing data after the PKCS #7 structure")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, errors.New("not a PKCS #7 SignedData")
	}
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      asn1.RawValue
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, err
	}
	var out [][]byte
	for rest := sd.Certificates.Bytes; len(rest) > 0; {
		var raw asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &raw); err != nil {
			return nil, err
		}
		out = append(out, raw.FullBytes)
		if len(out) > MaxCertsPerFile {
			break
		}
	}
	return out, nil
}
