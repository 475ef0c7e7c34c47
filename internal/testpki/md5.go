package testpki

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
)

var oidMD5WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}

// certificate is the outer structure of an X.509 certificate (RFC 5280).
type certificate struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// resignMD5 turns an RSA-signed certificate into an md5WithRSAEncryption one,
// which x509.CreateCertificate refuses to produce. It replaces the algorithm
// both inside the TBSCertificate and after it, then signs the new
// TBSCertificate with signer.
func resignMD5(der []byte, signer crypto.Signer) ([]byte, error) {
	var cert certificate
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		return nil, err
	}

	// TBSCertificate ::= SEQUENCE { version [0], serialNumber, signature
	// AlgorithmIdentifier, issuer, validity, subject, ... }
	var fields []asn1.RawValue
	for rest := cert.TBS.Bytes; len(rest) > 0; {
		var field asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &field); err != nil {
			return nil, err
		}
		fields = append(fields, field)
	}
	if len(fields) < 3 || fields[0].Class != asn1.ClassContextSpecific || fields[0].Tag != 0 {
		return nil, errors.New("not a v3 TBSCertificate")
	}

	algorithm := pkix.AlgorithmIdentifier{Algorithm: oidMD5WithRSA, Parameters: asn1.NullRawValue}
	algorithmDER, err := asn1.Marshal(algorithm)
	if err != nil {
		return nil, err
	}
	fields[2] = asn1.RawValue{FullBytes: algorithmDER}
	var body []byte
	for _, field := range fields {
		body = append(body, field.FullBytes...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, err
	}

	digest := md5.Sum(tbs)
	signature, err := signer.Sign(rand.Reader, digest[:], crypto.MD5)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(certificate{
		TBS:       asn1.RawValue{FullBytes: tbs},
		Algorithm: algorithm,
		Signature: asn1.BitString{Bytes: signature, BitLength: 8 * len(signature)},
	})
}
