package collateral

// signatureSize is the size of a raw ECDSA P-256 signature, r || s.
const signatureSize = 64

// Validate checks the shape of every item of c: the TCB info and QE identity
// parse, their signatures are 64 bytes, the issuer chains are PEM
// certificates and the CRLs parse. It does not check any signature, chain
// or date; package verify does. Errors are *FormatError.
func (c *Collateral) Validate() error {
	if c == nil {
		return formatErr("collateral", "", "expected collateral, found nil")
	}
	if _, err := ParseTCBInfo(c.TCBInfo); err != nil {
		return err
	}
	if err := checkSize(itemTCBInfo, "signature", c.TCBInfoSignature, signatureSize); err != nil {
		return err
	}
	if _, err := parseChain(itemTCBInfo, "issuer chain", c.TCBInfoIssuerChain); err != nil {
		return err
	}
	if _, err := ParseQEIdentity(c.QEIdentity); err != nil {
		return err
	}
	if err := checkSize(itemQEIdentity, "signature", c.QEIdentitySignature, signatureSize); err != nil {
		return err
	}
	if _, err := parseChain(itemQEIdentity, "issuer chain", c.QEIdentityIssuerChain); err != nil {
		return err
	}
	if _, err := parseCRL(itemPCKCRL, c.PCKCRL); err != nil {
		return err
	}
	if _, err := parseChain(itemPCKCRL, "issuer chain", c.PCKCRLIssuerChain); err != nil {
		return err
	}
	_, err := parseCRL(itemRootCACRL, c.RootCACRL)
	return err
}
