package quote

// TDATTRIBUTES bits, numbered in the little-endian 64-bit field.
const (
	tdAttributeDebug         = 0
	tdAttributeSEPTVEDisable = 28
)

// tdAttribute reports whether bit n of TDATTRIBUTES is set.
func (b *Body) tdAttribute(n uint) bool {
	return b.TDAttributes[n/8]&(1<<(n%8)) != 0
}

// Debug reports whether the TD runs in debug mode (TDATTRIBUTES bit 0):
// its memory and state are then open to the host, so its measurements
// prove nothing about confidentiality.
func (b *Body) Debug() bool { return b.tdAttribute(tdAttributeDebug) }

// SEPTVEDisable reports whether TDATTRIBUTES bit 28 (SEPT_VE_DISABLE) is
// set, so that EPT violations do not raise #VE in the guest.
func (b *Body) SEPTVEDisable() bool { return b.tdAttribute(tdAttributeSEPTVEDisable) }
