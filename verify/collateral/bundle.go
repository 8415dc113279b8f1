package collateral

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/cvmgate/cvmgate/internal/limits"
)

// MaxBundleSize is the largest offline bundle ParseBundle accepts. Real
// bundles are about 16 KiB.
const MaxBundleSize = 1 << 20

// Keys of the offline bundle, as dcap-qvl (QuoteCollateralV3) and dstack
// write them, in their order.
const (
	keyPCKCRLIssuerChain     = "pck_crl_issuer_chain"
	keyRootCACRL             = "root_ca_crl"
	keyPCKCRL                = "pck_crl"
	keyTCBInfoIssuerChain    = "tcb_info_issuer_chain"
	keyTCBInfo               = "tcb_info"
	keyTCBInfoSignature      = "tcb_info_signature"
	keyQEIdentityIssuerChain = "qe_identity_issuer_chain"
	keyQEIdentity            = "qe_identity"
	keyQEIdentitySignature   = "qe_identity_signature"
)

// bundleJSON is the wire form MarshalBundle writes; field order is the
// order dcap-qvl writes.
type bundleJSON struct {
	PCKCRLIssuerChain     string `json:"pck_crl_issuer_chain"`
	RootCACRL             string `json:"root_ca_crl"`
	PCKCRL                string `json:"pck_crl"`
	TCBInfoIssuerChain    string `json:"tcb_info_issuer_chain"`
	TCBInfo               string `json:"tcb_info"`
	TCBInfoSignature      string `json:"tcb_info_signature"`
	QEIdentityIssuerChain string `json:"qe_identity_issuer_chain"`
	QEIdentity            string `json:"qe_identity"`
	QEIdentitySignature   string `json:"qe_identity_signature"`
}

// ParseBundle reads an offline collateral bundle in the JSON format of
// dcap-qvl and dstack: an object with the keys pck_crl_issuer_chain,
// root_ca_crl, pck_crl, tcb_info_issuer_chain, tcb_info, tcb_info_signature,
// qe_identity_issuer_chain, qe_identity and qe_identity_signature.
//
// Chains are PEM strings; tcb_info and qe_identity are strings holding the
// exact signed JSON; CRLs and signatures are hex strings, or arrays of byte
// values as serde writes them. Every key is required. Other keys, such as
// the optional pck_certificate_chain of newer dcap-qvl, are ignored: the PCK
// chain comes from the quote. The result passes Validate. Errors are
// *FormatError and match ErrMalformed.
func ParseBundle(b []byte) (*Collateral, error) {
	if len(b) > MaxBundleSize {
		return nil, &FormatError{Item: itemBundle, Err: limits.TooLarge(MaxBundleSize, strconv.Itoa(len(b)))}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, decodeErr(itemBundle, err)
	}
	if fields == nil {
		return nil, formatErr(itemBundle, "", "expected a JSON object, found null")
	}
	d := bundleDecoder{fields: fields}
	c := &Collateral{
		PCKCRLIssuerChain:     d.text(keyPCKCRLIssuerChain),
		RootCACRL:             d.bytes(keyRootCACRL),
		PCKCRL:                d.bytes(keyPCKCRL),
		TCBInfoIssuerChain:    d.text(keyTCBInfoIssuerChain),
		TCBInfo:               d.text(keyTCBInfo),
		TCBInfoSignature:      d.bytes(keyTCBInfoSignature),
		QEIdentityIssuerChain: d.text(keyQEIdentityIssuerChain),
		QEIdentity:            d.text(keyQEIdentity),
		QEIdentitySignature:   d.bytes(keyQEIdentitySignature),
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// bundleDecoder decodes bundle fields, keeping the first error.
type bundleDecoder struct {
	fields map[string]json.RawMessage
	err    error
}

// raw returns the JSON value of key, or nil after recording an error if it
// is missing or null.
func (d *bundleDecoder) raw(key string) json.RawMessage {
	if d.err != nil {
		return nil
	}
	v, ok := d.fields[key]
	if !ok {
		d.err = formatErr(itemBundle, key, "expected the key, found none")
		return nil
	}
	if string(v) == "null" {
		d.err = formatErr(itemBundle, key, "expected a value, found null")
		return nil
	}
	return v
}

// text decodes a JSON string field.
func (d *bundleDecoder) text(key string) []byte {
	v := d.raw(key)
	if v == nil {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		d.err = formatErr(itemBundle, key, "expected a JSON string, found %s", truncate(v))
		return nil
	}
	if s == "" {
		d.err = formatErr(itemBundle, key, "expected a value, found an empty string")
		return nil
	}
	return []byte(s)
}

// bytes decodes a field holding bytes as a hex string or as an array of
// byte values.
func (d *bundleDecoder) bytes(key string) []byte {
	v := d.raw(key)
	if v == nil {
		return nil
	}
	var out []byte
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			d.err = &FormatError{Item: itemBundle, Field: key, Err: err}
			return nil
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			d.err = formatErr(itemBundle, key, "expected hex digits, found %s: %w", truncate(v), err)
			return nil
		}
		out = b
	case '[':
		// serde's encoding of Vec<u8>; []uint8 would expect base64, so
		// decode numbers into a wider type and range-check.
		var nums []uint16
		if err := json.Unmarshal(v, &nums); err != nil {
			d.err = formatErr(itemBundle, key, "expected an array of byte values: %w", err)
			return nil
		}
		out = make([]byte, len(nums))
		for i, n := range nums {
			if n > 0xff {
				d.err = formatErr(itemBundle, fmt.Sprintf("%s[%d]", key, i), "expected a byte value, found %d", n)
				return nil
			}
			out[i] = byte(n)
		}
	default:
		d.err = formatErr(itemBundle, key, "expected a hex string or an array of bytes, found %s", truncate(v))
		return nil
	}
	if len(out) == 0 {
		d.err = formatErr(itemBundle, key, "expected bytes, found none")
		return nil
	}
	return out
}

// MarshalBundle writes c as an offline bundle that ParseBundle, dcap-qvl
// and dstack read: two-space indented JSON with lower-case hex, keys in
// dcap-qvl's order, the signed JSON values copied byte for byte. It fails
// with a *FormatError if c does not pass Validate or a signed value is not
// valid UTF-8 (a JSON string could not carry it exactly).
func (c *Collateral) MarshalBundle() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !utf8.Valid(c.TCBInfo) {
		return nil, formatErr(itemTCBInfo, "", "expected UTF-8 text, found invalid UTF-8")
	}
	if !utf8.Valid(c.QEIdentity) {
		return nil, formatErr(itemQEIdentity, "", "expected UTF-8 text, found invalid UTF-8")
	}
	w := bundleJSON{
		PCKCRLIssuerChain:     string(c.PCKCRLIssuerChain),
		RootCACRL:             hex.EncodeToString(c.RootCACRL),
		PCKCRL:                hex.EncodeToString(c.PCKCRL),
		TCBInfoIssuerChain:    string(c.TCBInfoIssuerChain),
		TCBInfo:               string(c.TCBInfo),
		TCBInfoSignature:      hex.EncodeToString(c.TCBInfoSignature),
		QEIdentityIssuerChain: string(c.QEIdentityIssuerChain),
		QEIdentity:            string(c.QEIdentity),
		QEIdentitySignature:   hex.EncodeToString(c.QEIdentitySignature),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("collateral: encode bundle: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
