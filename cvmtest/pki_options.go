package cvmtest

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
)

// pkiConfig is PKIOptions with every default applied and checked.
type pkiConfig struct {
	seed                []byte
	intermediateSeed    []byte
	ca                  collateral.CA
	fmspc               [6]byte
	pceID               [2]byte
	tcb                 pck.TCB
	ppid                []byte
	sgxType             int
	notBefore, notAfter time.Time
	baseURL             string
}

func resolvePKIOptions(o PKIOptions) (*pkiConfig, error) {
	const op = "PKI options"
	c := &pkiConfig{
		seed:      append([]byte(nil), o.Seed...),
		ca:        o.CA,
		fmspc:     o.FMSPC,
		pceID:     o.PCEID,
		ppid:      append([]byte(nil), o.PPID...),
		sgxType:   pck.SGXTypeScalable,
		notBefore: o.NotBefore,
		notAfter:  o.NotAfter,
		baseURL:   strings.TrimRight(o.BaseURL, "/"),
	}
	if len(c.seed) == 0 {
		c.seed = append([]byte(nil), DefaultSeed...)
	}
	c.intermediateSeed = append([]byte(nil), o.IntermediateSeed...)
	if len(c.intermediateSeed) == 0 {
		c.intermediateSeed = c.seed
	}
	switch c.ca {
	case "":
		c.ca = collateral.CAPlatform
	case collateral.CAPlatform, collateral.CAProcessor:
	default:
		return nil, invalid(op, "CA", fmt.Sprintf("%q or %q", collateral.CAPlatform, collateral.CAProcessor), fmt.Sprintf("%q", o.CA))
	}
	if c.fmspc == ([6]byte{}) {
		c.fmspc = DefaultFMSPC
	}
	if o.TCB != nil {
		c.tcb = *o.TCB
	} else {
		c.tcb = upToDatePlatform().PCK
	}
	if o.PPID != nil && len(o.PPID) != 16 {
		return nil, invalid(op, "PPID", "16 bytes", fmt.Sprintf("%d bytes", len(o.PPID)))
	}
	if o.SGXType != nil {
		switch c.sgxType = *o.SGXType; c.sgxType {
		case pck.SGXTypeStandard, pck.SGXTypeScalable, pck.SGXTypeScalableWithIntegrity:
		default:
			return nil, invalid(op, "SGXType", "0, 1 or 2", c.sgxType)
		}
	}
	if c.notBefore.IsZero() {
		c.notBefore = DefaultNotBefore
	}
	if c.notAfter.IsZero() {
		c.notAfter = DefaultNotAfter
	}
	if !c.notAfter.After(c.notBefore) {
		return nil, invalid(op, "NotAfter", "a time after NotBefore "+c.notBefore.Format(time.RFC3339), c.notAfter.Format(time.RFC3339))
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, invalid(op, "BaseURL", "an absolute http or https URL without query", fmt.Sprintf("%q", o.BaseURL))
	}
	return c, nil
}

// extensions returns the content of the PCK certificate's SGX extension.
func (c *pkiConfig) extensions(seed []byte) pck.Extensions {
	ppid := c.ppid
	if ppid == nil {
		ppid = deriveBytes(seed, "ppid", 16)
	}
	ext := pck.Extensions{
		PPID:    ppid,
		TCB:     c.tcb,
		PCEID:   c.pceID,
		FMSPC:   c.fmspc,
		SGXType: c.sgxType,
	}
	if c.ca == collateral.CAPlatform {
		// Platform CA certificates also name the platform instance and its
		// configuration; processor CA certificates do not.
		ext.PlatformInstanceID = deriveBytes(seed, "platform instance", 16)
		ext.Configuration = &pck.Configuration{DynamicPlatform: true, CachedKeys: true, SMTEnabled: true}
	}
	return ext
}

// pckCRLURL is the PCS URL of the PCK CRL of ca under base.
func pckCRLURL(base string, ca collateral.CA) string {
	return base + PCKCRLPath + "?ca=" + string(ca) + "&encoding=der"
}
