package pck_test

import (
	"encoding/asn1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/pck"
)

// parts holds the DER entries of an SGX extension value, so that a test
// can replace, drop or add one before assembling the value.
type parts struct {
	top []([]byte) // top-level entries .1 to .5
	tcb []([]byte) // TCB entries .2.1 to .2.18
}

// validParts returns the entries of a valid extension.
func validParts(t *testing.T) *parts {
	p := &parts{}
	for i := 1; i <= 16; i++ {
		p.tcb = append(p.tcb, entry(t, der(t, i), 2, i))
	}
	p.tcb = append(p.tcb, entry(t, der(t, 11), 2, 17), entry(t, der(t, make([]byte, 16)), 2, 18))
	p.top = [][]byte{
		entry(t, der(t, make([]byte, 16)), 1),
		nil, // TCB, assembled from p.tcb
		entry(t, der(t, []byte{0, 0}), 3),
		entry(t, der(t, []byte{0xb0, 0xc0, 0x6f, 0, 0, 0}), 4),
		entry(t, der(t, asn1.Enumerated(1)), 5),
	}
	return p
}

// value assembles the extension value.
func (p *parts) value(t *testing.T) []byte {
	top := append([][]byte{}, p.top...)
	if top[1] == nil {
		top[1] = entry(t, sequence(t, p.tcb...), 2)
	}
	return sequence(t, top...)
}

// config builds a configuration entry from flag entries.
func config(t *testing.T, flags ...[]byte) []byte {
	return entry(t, sequence(t, flags...), 7)
}

func TestParseExtensionsValidVariants(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, p *parts)
		check func(t *testing.T, e *pck.Extensions)
	}{
		{"baseline", func(*testing.T, *parts) {}, func(t *testing.T, e *pck.Extensions) {
			assert.Equal(t, [16]uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, e.TCB.CPUSVNComponents)
			assert.EqualValues(t, 11, e.TCB.PCESVN)
			assert.Nil(t, e.PlatformInstanceID)
			assert.Nil(t, e.Configuration)
		}},
		{"fields in another order", func(t *testing.T, p *parts) {
			p.top[0], p.top[4] = p.top[4], p.top[0]
			p.tcb[0], p.tcb[17] = p.tcb[17], p.tcb[0]
		}, func(t *testing.T, e *pck.Extensions) { assert.EqualValues(t, 1, e.TCB.CPUSVNComponents[0]) }},
		{"unknown field .8 skipped", func(t *testing.T, p *parts) {
			p.top = append(p.top, entry(t, der(t, 5), 8))
		}, func(*testing.T, *pck.Extensions) {}},
		{"unknown field .100 and deeper .1.1 skipped", func(t *testing.T, p *parts) {
			p.top = append(p.top, entry(t, der(t, 5), 100), entry(t, der(t, 5), 1, 1), entry(t, der(t, 5), 300))
		}, func(*testing.T, *pck.Extensions) {}},
		{"foreign OID skipped", func(t *testing.T, p *parts) {
			p.top = append(p.top, sequence(t, der(t, asn1.ObjectIdentifier{1, 2, 3}), der(t, "x")))
		}, func(*testing.T, *pck.Extensions) {}},
		{"configuration with one flag", func(t *testing.T, p *parts) {
			p.top = append(p.top, config(t, entry(t, der(t, true), 7, 3)))
		}, func(t *testing.T, e *pck.Extensions) {
			assert.Equal(t, &pck.Configuration{SMTEnabled: true}, e.Configuration)
		}},
		{"empty configuration", func(t *testing.T, p *parts) {
			p.top = append(p.top, config(t))
		}, func(t *testing.T, e *pck.Extensions) { assert.Equal(t, &pck.Configuration{}, e.Configuration) }},
		{"SVN bounds", func(t *testing.T, p *parts) {
			p.tcb[0] = entry(t, der(t, 255), 2, 1)
			p.tcb[16] = entry(t, der(t, 65535), 2, 17)
		}, func(t *testing.T, e *pck.Extensions) {
			assert.EqualValues(t, 255, e.TCB.CPUSVNComponents[0])
			assert.EqualValues(t, 65535, e.TCB.PCESVN)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParts(t)
			tt.build(t, p)
			e, err := pck.ParseExtensions(withValue(p.value(t)))
			require.NoError(t, err)
			tt.check(t, e)
		})
	}
}

func TestParseExtensionsMalformed(t *testing.T) {
	flag := func(t *testing.T, arc int, v []byte) []byte { return entry(t, v, 7, arc) }
	tests := []struct {
		name            string
		build           func(t *testing.T, p *parts) []byte // nil: use p.value
		field           string
		expected, found string
	}{
		{"empty value", func(*testing.T, *parts) []byte { return []byte{} }, "value", "one DER SEQUENCE", "nothing"},
		{"not a SEQUENCE", func(t *testing.T, _ *parts) []byte { return der(t, 5) }, "value", "one DER SEQUENCE", "tag 0x02 with content 0x05"},
		{"trailing bytes after the SEQUENCE", func(t *testing.T, p *parts) []byte { return append(p.value(t), 0) }, "value", "one DER SEQUENCE", ""},
		{"BER indefinite length", func(t *testing.T, p *parts) []byte {
			v := p.value(t)
			return append(append([]byte{0x30, 0x80}, v[4:]...), 0, 0)
		}, "value", "one DER SEQUENCE", ""},
		{"truncated", func(t *testing.T, p *parts) []byte { v := p.value(t); return v[:len(v)-1] }, "value", "one DER SEQUENCE", ""},
		{"entry not a SEQUENCE", func(t *testing.T, p *parts) []byte {
			p.top[2] = der(t, []byte{0, 0})
			return nil
		}, "entry", "SEQUENCE {OID, value}", "tag 0x04 with content 0x0000"},
		{"entry without OID", func(t *testing.T, p *parts) []byte {
			p.top[2] = sequence(t, der(t, []byte{0, 0}))
			return nil
		}, "entry", "an OBJECT IDENTIFIER", "tag 0x04 with content 0x0000"},
		{"extra value in an entry", func(t *testing.T, p *parts) []byte {
			p.top[3] = sequence(t, der(t, append(asn1.ObjectIdentifier{}, append(pck.OID, 4)...)), der(t, make([]byte, 6)), der(t, 1))
			return nil
		}, "FMSPC", "nothing after the value", "3 more bytes"},

		{"missing PPID", func(t *testing.T, p *parts) []byte { p.top = p.top[1:]; return nil }, "PPID", "present", "missing"},
		{"missing TCB", func(t *testing.T, p *parts) []byte { p.top = append(p.top[:1], p.top[2:]...); return nil }, "TCB", "present", "missing"},
		{"missing PCE-ID", func(t *testing.T, p *parts) []byte { p.top = append(p.top[:2], p.top[3:]...); return nil }, "PCE-ID", "present", "missing"},
		{"missing FMSPC", func(t *testing.T, p *parts) []byte { p.top = append(p.top[:3], p.top[4:]...); return nil }, "FMSPC", "present", "missing"},
		{"missing SGX type", func(t *testing.T, p *parts) []byte { p.top = p.top[:4]; return nil }, "SGX type", "present", "missing"},
		{"duplicate PPID", func(t *testing.T, p *parts) []byte { p.top = append(p.top, p.top[0]); return nil }, "PPID", "one entry", "a duplicate 1.2.840.113741.1.13.1.1"},
		{"duplicate FMSPC", func(t *testing.T, p *parts) []byte { p.top = append(p.top, p.top[3]); return nil }, "FMSPC", "one entry", "a duplicate 1.2.840.113741.1.13.1.4"},

		{"PPID 15 bytes", func(t *testing.T, p *parts) []byte { p.top[0] = entry(t, der(t, make([]byte, 15)), 1); return nil }, "PPID", "16 bytes", "15 bytes"},
		{"PPID 17 bytes", func(t *testing.T, p *parts) []byte { p.top[0] = entry(t, der(t, make([]byte, 17)), 1); return nil }, "PPID", "16 bytes", "17 bytes"},
		{"PPID an INTEGER", func(t *testing.T, p *parts) []byte { p.top[0] = entry(t, der(t, 7), 1); return nil }, "PPID", "an OCTET STRING", "tag 0x02 with content 0x07"},
		{"PCE-ID 3 bytes", func(t *testing.T, p *parts) []byte { p.top[2] = entry(t, der(t, make([]byte, 3)), 3); return nil }, "PCE-ID", "2 bytes", "3 bytes"},
		{"FMSPC 5 bytes", func(t *testing.T, p *parts) []byte { p.top[3] = entry(t, der(t, make([]byte, 5)), 4); return nil }, "FMSPC", "6 bytes", "5 bytes"},
		{"SGX type an INTEGER", func(t *testing.T, p *parts) []byte { p.top[4] = entry(t, der(t, 1), 5); return nil }, "SGX type", "an ENUMERATED", "tag 0x02 with content 0x01"},
		{"SGX type negative", func(t *testing.T, p *parts) []byte { p.top[4] = entry(t, der(t, asn1.Enumerated(-1)), 5); return nil }, "SGX type", "a non-negative value", "-1"},
		{"instance ID 8 bytes", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, entry(t, der(t, make([]byte, 8)), 6))
			return nil
		}, "platform instance ID", "16 bytes", "8 bytes"},

		{"TCB not a SEQUENCE", func(t *testing.T, p *parts) []byte { p.top[1] = entry(t, der(t, 1), 2); return nil }, "TCB", "a SEQUENCE", "tag 0x02 with content 0x01"},
		{"TCB component missing", func(t *testing.T, p *parts) []byte { p.tcb = append(p.tcb[:2], p.tcb[3:]...); return nil }, "TCB component 3", "present", "missing"},
		{"PCESVN missing", func(t *testing.T, p *parts) []byte { p.tcb = append(p.tcb[:16], p.tcb[17]); return nil }, "PCESVN", "present", "missing"},
		{"CPUSVN missing", func(t *testing.T, p *parts) []byte { p.tcb = p.tcb[:17]; return nil }, "CPUSVN", "present", "missing"},
		{"TCB component duplicate", func(t *testing.T, p *parts) []byte { p.tcb = append(p.tcb, p.tcb[4]); return nil }, "TCB component 5", "one entry", "a duplicate 1.2.840.113741.1.13.1.2.5"},
		{"TCB component 256", func(t *testing.T, p *parts) []byte { p.tcb[0] = entry(t, der(t, 256), 2, 1); return nil }, "TCB component 1", "0 to 255", "256"},
		{"TCB component -1", func(t *testing.T, p *parts) []byte { p.tcb[15] = entry(t, der(t, -1), 2, 16); return nil }, "TCB component 16", "0 to 255", "-1"},
		{"TCB component huge", func(t *testing.T, p *parts) []byte {
			p.tcb[1] = entry(t, der(t, asn1.RawValue{Tag: asn1.TagInteger, Bytes: append([]byte{1}, make([]byte, 20)...)}), 2, 2)
			return nil
		}, "TCB component 2", "an INTEGER of at most 64 bits", "tag 0x02 with 21 content bytes"},
		{"TCB component an OCTET STRING", func(t *testing.T, p *parts) []byte { p.tcb[0] = entry(t, der(t, []byte{1}), 2, 1); return nil }, "TCB component 1", "an INTEGER of at most 64 bits", "tag 0x04 with content 0x01"},
		{"PCESVN 65536", func(t *testing.T, p *parts) []byte { p.tcb[16] = entry(t, der(t, 65536), 2, 17); return nil }, "PCESVN", "0 to 65535", "65536"},
		{"CPUSVN 15 bytes", func(t *testing.T, p *parts) []byte { p.tcb[17] = entry(t, der(t, make([]byte, 15)), 2, 18); return nil }, "CPUSVN", "16 bytes", "15 bytes"},
		{"TCB entry .2.19", func(t *testing.T, p *parts) []byte { p.tcb = append(p.tcb, entry(t, der(t, 1), 2, 19)); return nil }, "TCB entry", "OID 1.2.840.113741.1.13.1.2.1 to .18", "1.2.840.113741.1.13.1.2.19"},
		{"TCB entry .2.200", func(t *testing.T, p *parts) []byte { p.tcb = append(p.tcb, entry(t, der(t, 1), 2, 200)); return nil }, "TCB entry", "OID 1.2.840.113741.1.13.1.2.1 to .18", "1.2.840.113741.1.13.1.2.200"},
		{"TCB entry .2.0", func(t *testing.T, p *parts) []byte { p.tcb = append(p.tcb, entry(t, der(t, 1), 2, 0)); return nil }, "TCB entry", "OID 1.2.840.113741.1.13.1.2.1 to .18", "1.2.840.113741.1.13.1.2.0"},
		{"invalid OID encoding", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, sequence(t, []byte{0x06, 0x02, 0x2a, 0x81}, der(t, 1)))
			return nil
		}, "entry", "a valid OBJECT IDENTIFIER", "content 0x2a81"},
		{"empty OID", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, sequence(t, []byte{0x06, 0x00}, der(t, 1)))
			return nil
		}, "entry", "a valid OBJECT IDENTIFIER", "content 0x"},
		{"TCB entry foreign OID", func(t *testing.T, p *parts) []byte {
			p.tcb = append(p.tcb, sequence(t, der(t, asn1.ObjectIdentifier{1, 2, 3}), der(t, 1)))
			return nil
		}, "TCB entry", "OID 1.2.840.113741.1.13.1.2.1 to .18", "1.2.3"},

		{"configuration not a SEQUENCE", func(t *testing.T, p *parts) []byte { p.top = append(p.top, entry(t, der(t, true), 7)); return nil }, "configuration", "a SEQUENCE", "tag 0x01 with content 0xff"},
		{"configuration flag not DER", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, config(t, flag(t, 1, []byte{0x01, 0x01, 0x01})))
			return nil
		}, "dynamic platform", "a DER BOOLEAN", "tag 0x01 with content 0x01"},
		{"configuration flag an INTEGER", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, config(t, flag(t, 2, der(t, 1))))
			return nil
		}, "cached keys", "a DER BOOLEAN", "tag 0x02 with content 0x01"},
		{"configuration flag duplicate", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, config(t, flag(t, 3, der(t, true)), flag(t, 3, der(t, false))))
			return nil
		}, "SMT enabled", "one entry", "a duplicate 1.2.840.113741.1.13.1.7.3"},
		{"duplicate configuration", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, config(t), config(t))
			return nil
		}, "configuration", "one entry", "a duplicate 1.2.840.113741.1.13.1.7"},
		{"unknown field malformed", func(t *testing.T, p *parts) []byte {
			p.top = append(p.top, sequence(t, der(t, asn1.ObjectIdentifier{1, 2, 3}), []byte{0x04, 0x05, 0}))
			return nil
		}, "unknown field", "one DER element", "invalid DER (3 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParts(t)
			value := tt.build(t, p)
			if value == nil {
				value = p.value(t)
			}
			e, err := pck.ParseExtensions(withValue(value))
			require.ErrorIs(t, err, pck.ErrMalformedExtension)
			assert.Nil(t, e)
			var ee *pck.ExtensionError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tt.field, ee.Field, err.Error())
			assert.Equal(t, tt.expected, ee.Expected, err.Error())
			if tt.found != "" {
				assert.Equal(t, tt.found, ee.Found, err.Error())
			} else {
				assert.NotEmpty(t, ee.Found)
			}
		})
	}
}
