package pck

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Arcs of the fields under OID, of the TCB components under OID.2 and of
// the configuration flags under OID.7.
const (
	arcPPID               = 1
	arcTCB                = 2
	arcPCEID              = 3
	arcFMSPC              = 4
	arcSGXType            = 5
	arcPlatformInstanceID = 6
	arcConfiguration      = 7

	arcPCESVN = 17
	arcCPUSVN = 18

	arcDynamicPlatform = 1
	arcCachedKeys      = 2
	arcSMTEnabled      = 3
)

// Parents of the entries the parser reads: the extension, its TCB and its
// configuration.
var (
	parentExtension     = newParent(OID)
	parentTCB           = newParent(append(OID[:len(OID):len(OID)], arcTCB))
	parentConfiguration = newParent(append(OID[:len(OID):len(OID)], arcConfiguration))
)

// parent is an OID whose child OIDs the parser recognises by their DER
// content octets, without decoding (and allocating) every OID it reads.
type parent struct {
	oid asn1.ObjectIdentifier
	der []byte // content octets of oid
}

// newParent precomputes the DER content octets of oid.
func newParent(oid asn1.ObjectIdentifier) parent {
	var b cryptobyte.Builder
	b.AddASN1ObjectIdentifier(oid)
	elem := cryptobyte.String(b.BytesOrPanic())
	var content cryptobyte.String
	if !elem.ReadASN1(&content, cbasn1.OBJECT_IDENTIFIER) {
		panic("pck: cannot encode " + oid.String())
	}
	return parent{oid: oid, der: content}
}

// child returns n if der encodes the OID p.n with n in 1..63, else 0.
// Such an arc encodes as one byte, so a prefix match is exact.
func (p parent) child(der []byte) int {
	if len(der) != len(p.der)+1 || !bytes.HasPrefix(der, p.der) {
		return 0
	}
	if arc := der[len(p.der)]; arc > 0 && arc < 64 {
		return int(arc)
	}
	return 0
}

// childString returns the dotted form of p.arc.
func (p parent) childString(arc int) string { return p.oid.String() + "." + strconv.Itoa(arc) }

// decodeOID decodes the content octets of an OBJECT IDENTIFIER.
func decodeOID(der []byte) (asn1.ObjectIdentifier, bool) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(der) })
	elem, err := b.Bytes()
	if err != nil {
		return nil, false
	}
	var oid asn1.ObjectIdentifier
	s := cryptobyte.String(elem)
	return oid, s.ReadASN1ObjectIdentifier(&oid)
}

// ParseExtensions decodes the SGX extension of a PCK certificate. A missing
// extension, a missing required field (.1 to .5), a duplicate field, a
// field of the wrong type or size, an SVN out of range or trailing data
// yields an *ExtensionError (matching ErrMalformedExtension).
func ParseExtensions(cert *x509.Certificate) (*Extensions, error) {
	if cert == nil {
		return nil, malformed("certificate", "a PCK certificate", "nil")
	}
	var value []byte
	found := 0
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(OID) {
			value = ext.Value
			found++
		}
	}
	if found != 1 {
		return nil, malformed("extension "+OID.String(), "exactly one", fmt.Sprint(found))
	}
	return parseValue(value)
}

// parseValue decodes the DER value of the SGX extension.
func parseValue(der []byte) (*Extensions, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("value", "one DER SEQUENCE", describe(der))
	}
	e := &Extensions{}
	seen, err := forEachEntry(seq, "entry", parentExtension, fieldName, func(arc int, _ []byte, v *cryptobyte.String) error {
		var err error
		switch arc {
		case arcPPID:
			e.PPID, err = readOctets(v, "PPID", PPIDSize)
		case arcTCB:
			err = e.TCB.parse(v)
		case arcPCEID:
			err = readFixed(v, "PCE-ID", e.PCEID[:])
		case arcFMSPC:
			err = readFixed(v, "FMSPC", e.FMSPC[:])
		case arcSGXType:
			err = readSGXType(v, &e.SGXType)
		case arcPlatformInstanceID:
			e.PlatformInstanceID, err = readOctets(v, "platform instance ID", PlatformInstanceIDSize)
		case arcConfiguration:
			e.Configuration, err = parseConfiguration(v)
		default:
			err = skipElement(v, "unknown field")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, arc := range []int{arcPPID, arcTCB, arcPCEID, arcFMSPC, arcSGXType} {
		if seen&(1<<arc) == 0 {
			return nil, malformed(fieldName(arc), "present", "missing")
		}
	}
	return e, nil
}

// fieldName names a field of the extension by its arc.
func fieldName(arc int) string {
	switch arc {
	case arcPPID:
		return "PPID"
	case arcTCB:
		return "TCB"
	case arcPCEID:
		return "PCE-ID"
	case arcFMSPC:
		return "FMSPC"
	case arcSGXType:
		return "SGX type"
	case arcPlatformInstanceID:
		return "platform instance ID"
	case arcConfiguration:
		return "configuration"
	}
	return fmt.Sprintf("field %d", arc)
}

// tcbFieldNames names the TCB fields by arc, computed once so that naming
// a field costs nothing on the success path.
var tcbFieldNames = func() (names [arcCPUSVN + 1]string) {
	for arc := 1; arc < arcPCESVN; arc++ {
		names[arc] = fmt.Sprintf("TCB component %d", arc)
	}
	names[arcPCESVN] = "PCESVN"
	names[arcCPUSVN] = "CPUSVN"
	return names
}()

// tcbFieldName names a TCB field by its arc.
func tcbFieldName(arc int) string {
	if arc > 0 && arc < len(tcbFieldNames) {
		return tcbFieldNames[arc]
	}
	return fmt.Sprintf("TCB field %d", arc)
}

// configFieldName names a configuration flag by its arc.
func configFieldName(arc int) string {
	switch arc {
	case arcDynamicPlatform:
		return "dynamic platform"
	case arcCachedKeys:
		return "cached keys"
	case arcSMTEnabled:
		return "SMT enabled"
	}
	return fmt.Sprintf("configuration field %d", arc)
}

// forEachEntry walks seq, a SEQUENCE OF SEQUENCE {OID, value}, calling fn
// with each entry's OID (its DER content octets), its last arc when the OID
// is a direct child of p (else arc 0), and its value. fn must read the
// whole value. A second entry with the same arc is an error; field names
// the entries in errors. It returns the set of arcs seen, as a bit mask.
func forEachEntry(seq cryptobyte.String, field string, p parent, name func(int) string, fn func(arc int, oid []byte, v *cryptobyte.String) error) (uint64, error) {
	var seen uint64
	var entry cryptobyte.String // one per call: fn's pointer makes it escape
	for !seq.Empty() {
		var oid cryptobyte.String
		if orig := seq; !seq.ReadASN1(&entry, cbasn1.SEQUENCE) {
			return 0, malformed(field, "SEQUENCE {OID, value}", describe(orig))
		}
		if orig := entry; !entry.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
			return 0, malformed(field, "an OBJECT IDENTIFIER", describe(orig))
		}
		arc := p.child(oid)
		if arc == 0 {
			// Not a known child: decode it, to refuse a bad encoding.
			if _, ok := decodeOID(oid); !ok {
				return 0, malformed(field, "a valid OBJECT IDENTIFIER", fmt.Sprintf("content 0x%x", []byte(oid)))
			}
		} else {
			if seen&(1<<arc) != 0 {
				return 0, malformed(name(arc), "one entry", "a duplicate "+p.childString(arc))
			}
			seen |= 1 << arc
		}
		if err := fn(arc, oid, &entry); err != nil {
			return 0, err
		}
		if !entry.Empty() {
			what := name(arc)
			if arc == 0 {
				found, _ := decodeOID(oid)
				what = found.String()
			}
			return 0, malformed(what, "nothing after the value", fmt.Sprintf("%d more bytes", len(entry)))
		}
	}
	return seen, nil
}

// parse decodes the TCB SEQUENCE: all 18 entries, each exactly once.
func (t *TCB) parse(v *cryptobyte.String) error {
	var seq cryptobyte.String
	if orig := *v; !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return malformed("TCB", "a SEQUENCE", describe(orig))
	}
	seen, err := forEachEntry(seq, "TCB entry", parentTCB, tcbFieldName, func(arc int, oid []byte, v *cryptobyte.String) error {
		switch {
		case arc >= 1 && arc <= 16:
			n, err := readUint(v, tcbFieldName(arc), math.MaxUint8)
			t.CPUSVNComponents[arc-1] = uint8(n)
			return err
		case arc == arcPCESVN:
			n, err := readUint(v, "PCESVN", math.MaxUint16)
			t.PCESVN = uint16(n)
			return err
		case arc == arcCPUSVN:
			return readFixed(v, "CPUSVN", t.CPUSVN[:])
		}
		found, _ := decodeOID(oid)
		return malformed("TCB entry", "OID "+parentTCB.oid.String()+".1 to .18", found.String())
	})
	if err != nil {
		return err
	}
	for arc := 1; arc <= arcCPUSVN; arc++ {
		if seen&(1<<arc) == 0 {
			return malformed(tcbFieldName(arc), "present", "missing")
		}
	}
	return nil
}

// parseConfiguration decodes the configuration SEQUENCE; each flag is
// optional.
func parseConfiguration(v *cryptobyte.String) (*Configuration, error) {
	var seq cryptobyte.String
	if orig := *v; !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, malformed("configuration", "a SEQUENCE", describe(orig))
	}
	c := &Configuration{}
	_, err := forEachEntry(seq, "configuration entry", parentConfiguration, configFieldName, func(arc int, _ []byte, v *cryptobyte.String) error {
		switch arc {
		case arcDynamicPlatform:
			return readBool(v, "dynamic platform", &c.DynamicPlatform)
		case arcCachedKeys:
			return readBool(v, "cached keys", &c.CachedKeys)
		case arcSMTEnabled:
			return readBool(v, "SMT enabled", &c.SMTEnabled)
		}
		return skipElement(v, "unknown configuration field")
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// readOctets reads an OCTET STRING of exactly size bytes into a new slice.
func readOctets(v *cryptobyte.String, field string, size int) ([]byte, error) {
	b := make([]byte, size)
	if err := readFixed(v, field, b); err != nil {
		return nil, err
	}
	return b, nil
}

// readFixed reads an OCTET STRING of exactly len(dst) bytes into dst.
func readFixed(v *cryptobyte.String, field string, dst []byte) error {
	var s cryptobyte.String
	if orig := *v; !v.ReadASN1(&s, cbasn1.OCTET_STRING) {
		return malformed(field, "an OCTET STRING", describe(orig))
	}
	if len(s) != len(dst) {
		return malformed(field, fmt.Sprintf("%d bytes", len(dst)), fmt.Sprintf("%d bytes", len(s)))
	}
	copy(dst, s)
	return nil
}

// readUint reads an INTEGER in 0..max.
func readUint(v *cryptobyte.String, field string, max int64) (int64, error) {
	var n int64
	if orig := *v; !v.ReadASN1Integer(&n) {
		return 0, malformed(field, "an INTEGER of at most 64 bits", describe(orig))
	}
	if n < 0 || n > max {
		return 0, malformed(field, fmt.Sprintf("0 to %d", max), fmt.Sprint(n))
	}
	return n, nil
}

// readSGXType reads the ENUMERATED SGX type, which must not be negative.
func readSGXType(v *cryptobyte.String, out *int) error {
	var n int
	if orig := *v; !v.ReadASN1Enum(&n) {
		return malformed("SGX type", "an ENUMERATED", describe(orig))
	}
	if n < 0 || n > math.MaxInt32 {
		return malformed("SGX type", "a non-negative value", fmt.Sprint(n))
	}
	*out = n
	return nil
}

// readBool reads a DER BOOLEAN.
func readBool(v *cryptobyte.String, field string, out *bool) error {
	if orig := *v; !v.ReadASN1Boolean(out) {
		return malformed(field, "a DER BOOLEAN", describe(orig))
	}
	return nil
}

// skipElement reads past one well-formed DER element of any type.
func skipElement(v *cryptobyte.String, field string) error {
	var elem cryptobyte.String
	var tag cbasn1.Tag
	if orig := *v; !v.ReadAnyASN1Element(&elem, &tag) {
		return malformed(field, "one DER element", describe(orig))
	}
	return nil
}

// describe says what a DER reader found where it expected something else.
func describe(b []byte) string {
	s := cryptobyte.String(b)
	if s.Empty() {
		return "nothing"
	}
	var content cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&content, &tag) {
		return fmt.Sprintf("invalid DER (%d bytes)", len(b))
	}
	if len(content) <= 8 {
		return fmt.Sprintf("tag 0x%02x with content 0x%x", uint8(tag), []byte(content))
	}
	return fmt.Sprintf("tag 0x%02x with %d content bytes", uint8(tag), len(content))
}
