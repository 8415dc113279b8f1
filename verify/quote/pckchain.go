package quote

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// Markers of PEM blocks.
var (
	pemBegin  = []byte("-----BEGIN ")
	pemEnd    = []byte("-----END ")
	pemDashes = []byte("-----")
)

// PCKChain parses PCKChainPEM into certificates, leaf first, in the order
// they appear. Only whitespace may separate or surround the blocks; any
// other text, a block of another type than CERTIFICATE, a block with PEM
// headers, an unparsable certificate or an empty chain yields a
// *FormatError whose Offset is relative to PCKChainPEM. It does not verify
// the chain.
func (q *Quote) PCKChain() ([]*x509.Certificate, error) {
	rest := q.PCKChainPEM
	var certs []*x509.Certificate
	for {
		off := len(q.PCKChainPEM) - len(rest)
		trimmed := bytes.TrimLeft(rest, " \t\r\n\v\f")
		off += len(rest) - len(trimmed)
		rest = trimmed
		if len(rest) == 0 {
			break
		}
		if !bytes.HasPrefix(rest, pemBegin) {
			return nil, &FormatError{Field: "PCK chain", Offset: off, Expected: "a PEM block or whitespace", Found: describeText(rest)}
		}
		// Decode exactly one block: pem.Decode skips text it cannot
		// parse and would silently return a later block.
		n := pemBlockEnd(rest)
		var block *pem.Block
		if n > 0 && bytes.Count(rest[:n], pemBegin) == 1 {
			block, _ = pem.Decode(rest[:n])
		}
		if block == nil {
			return nil, &FormatError{Field: "PCK chain", Offset: off, Expected: "a complete PEM block", Found: describeText(rest)}
		}
		if block.Type != "CERTIFICATE" {
			return nil, &FormatError{Field: "PCK chain", Offset: off, Expected: "a CERTIFICATE block", Found: fmt.Sprintf("a %q block", block.Type)}
		}
		if len(block.Headers) != 0 {
			return nil, &FormatError{Field: "PCK chain", Offset: off, Expected: "a PEM block without headers", Found: fmt.Sprintf("%d headers", len(block.Headers))}
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &FormatError{
				Field:    "PCK chain",
				Offset:   off,
				Expected: "a DER X.509 certificate",
				Found:    fmt.Sprintf("certificate %d unparsable", len(certs)),
				Err:      err,
			}
		}
		certs = append(certs, cert)
		rest = rest[n:]
	}
	if len(certs) == 0 {
		return nil, &FormatError{Field: "PCK chain", Offset: 0, Expected: "at least one certificate", Found: "none"}
	}
	return certs, nil
}

// pemBlockEnd returns the length of the first PEM block of b, through the
// dashes that close its END line, or 0 if b holds no END line.
func pemBlockEnd(b []byte) int {
	i := bytes.Index(b, pemEnd)
	if i < 0 {
		return 0
	}
	i += len(pemEnd)
	j := bytes.Index(b[i:], pemDashes)
	if j < 0 {
		return 0
	}
	return i + j + len(pemDashes)
}

// describeText quotes the start of b for an error message.
func describeText(b []byte) string {
	const max = 16
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
