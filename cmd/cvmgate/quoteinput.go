package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/internal/jsonshape"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// quoteFormats names the forms --quote reads, for help and errors.
const quoteFormats = "raw bytes, hex, base64, or JSON with a hex \"quote\" field (a guest agent GetQuote answer, a CVM's /attestation)"

// loadQuote reads the quote --quote names. A file that cannot be read is a
// usage error; one that holds no quote is the evidence's fault, a
// malformed_quote refusal.
func loadQuote(e *env, path string) ([]byte, error) {
	data, err := readInput(e, "--quote", path)
	if err != nil {
		return nil, err
	}
	raw, err := decodeQuote(data)
	if err != nil {
		return nil, &verify.Error{Kind: verify.KindMalformedQuote, Check: "--quote " + path, Err: err}
	}
	return raw, nil
}

// decodeQuote finds the quote in data: JSON when it starts with '{' (its
// "quote" field must be hex), hex or base64 when it is text of those
// alphabets, and otherwise the raw bytes, whose checks are the parser's.
func decodeQuote(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("expected %s, found an empty file", quoteFormats)
	case trimmed[0] == '{':
		return quoteField(trimmed)
	case isText(trimmed, isHexByte):
		return quote.Decode(trimmed)
	case isText(trimmed, isBase64Byte):
		compact := bytes.Join(bytes.Fields(trimmed), nil)
		enc := base64.StdEncoding
		if bytes.ContainsAny(compact, "-_") {
			enc = base64.URLEncoding
		}
		if !bytes.HasSuffix(compact, []byte("=")) && len(compact)%4 != 0 {
			enc = enc.WithPadding(base64.NoPadding)
		}
		raw, err := enc.DecodeString(string(compact))
		if err != nil {
			return nil, fmt.Errorf("expected base64, found invalid base64: %w", err)
		}
		return raw, nil
	case isText(trimmed, isPrintable):
		return nil, fmt.Errorf("expected %s, found other text", quoteFormats)
	}
	return data, nil
}

// quoteField reads the hex "quote" field of a JSON document.
func quoteField(doc []byte) ([]byte, error) {
	var obj struct {
		Quote json.RawMessage `json:"quote"`
	}
	if err := json.Unmarshal(doc, &obj); err != nil {
		return nil, fmt.Errorf("expected a JSON object with a \"quote\" field, found invalid JSON: %w", err)
	}
	if jsonshape.IsNull(obj.Quote) {
		return nil, fmt.Errorf("expected a JSON object with a \"quote\" field, found none")
	}
	var s string
	if err := json.Unmarshal(obj.Quote, &s); err != nil {
		return nil, fmt.Errorf("\"quote\": expected a hex string, found %s", jsonshape.Kind(obj.Quote))
	}
	raw, err := hexfmt.Decode(s)
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("\"quote\": expected hex (0x optional), found %q", clip.String(s, 40))
	}
	return raw, nil
}

// isText reports whether every byte of b is whitespace or passes ok.
func isText(b []byte, ok func(byte) bool) bool {
	for _, c := range b {
		if !ok(c) && !isSpaceByte(c) {
			return false
		}
	}
	return true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == 'x' || c == 'X'
}

func isBase64Byte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

func isPrintable(c byte) bool { return 0x20 <= c && c < 0x7f }
