package pck

import (
	"crypto/x509/pkix"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Marshal encodes e as the non-critical SGX extension of a PCK certificate,
// in the DER layout Intel uses: fields .1 to .5, then .6 and .7 when set.
// ParseExtensions of a certificate carrying it reproduces e. PPID and a
// set PlatformInstanceID must be 16 bytes and SGXType must not be negative,
// else an *ExtensionError is returned.
func (e *Extensions) Marshal() (pkix.Extension, error) {
	if len(e.PPID) != PPIDSize {
		return pkix.Extension{}, malformed("PPID", fmt.Sprintf("%d bytes", PPIDSize), fmt.Sprintf("%d bytes", len(e.PPID)))
	}
	if e.PlatformInstanceID != nil && len(e.PlatformInstanceID) != PlatformInstanceIDSize {
		return pkix.Extension{}, malformed("platform instance ID",
			fmt.Sprintf("%d bytes or nil", PlatformInstanceIDSize), fmt.Sprintf("%d bytes", len(e.PlatformInstanceID)))
	}
	if e.SGXType < 0 {
		return pkix.Extension{}, malformed("SGX type", "a non-negative value", fmt.Sprint(e.SGXType))
	}

	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addEntry(b, parentExtension, arcPPID, func(b *cryptobyte.Builder) { b.AddASN1OctetString(e.PPID) })
		addEntry(b, parentExtension, arcTCB, e.TCB.marshal)
		addEntry(b, parentExtension, arcPCEID, func(b *cryptobyte.Builder) { b.AddASN1OctetString(e.PCEID[:]) })
		addEntry(b, parentExtension, arcFMSPC, func(b *cryptobyte.Builder) { b.AddASN1OctetString(e.FMSPC[:]) })
		addEntry(b, parentExtension, arcSGXType, func(b *cryptobyte.Builder) { b.AddASN1Enum(int64(e.SGXType)) })
		if e.PlatformInstanceID != nil {
			addEntry(b, parentExtension, arcPlatformInstanceID, func(b *cryptobyte.Builder) { b.AddASN1OctetString(e.PlatformInstanceID) })
		}
		if c := e.Configuration; c != nil {
			addEntry(b, parentExtension, arcConfiguration, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, f := range []struct {
						arc int
						v   bool
					}{{arcDynamicPlatform, c.DynamicPlatform}, {arcCachedKeys, c.CachedKeys}, {arcSMTEnabled, c.SMTEnabled}} {
						addEntry(b, parentConfiguration, f.arc, func(b *cryptobyte.Builder) { b.AddASN1Boolean(f.v) })
					}
				})
			})
		}
	})
	der, err := b.Bytes()
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pck: encoding the SGX extension: %w", err)
	}
	return pkix.Extension{Id: OID, Value: der}, nil
}

// marshal adds the TCB SEQUENCE: components .2.1 to .2.16, PCESVN, CPUSVN.
func (t *TCB) marshal(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i, svn := range t.CPUSVNComponents {
			addEntry(b, parentTCB, i+1, func(b *cryptobyte.Builder) { b.AddASN1Uint64(uint64(svn)) })
		}
		addEntry(b, parentTCB, arcPCESVN, func(b *cryptobyte.Builder) { b.AddASN1Uint64(uint64(t.PCESVN)) })
		addEntry(b, parentTCB, arcCPUSVN, func(b *cryptobyte.Builder) { b.AddASN1OctetString(t.CPUSVN[:]) })
	})
}

// addEntry adds SEQUENCE {p.arc, value}. Every arc used is below 128, so
// it encodes as the single byte arc after the parent's content octets.
func addEntry(b *cryptobyte.Builder, p parent, arc int, value cryptobyte.BuilderContinuation) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) {
			b.AddBytes(p.der)
			b.AddUint8(uint8(arc))
		})
		value(b)
	})
}
