package verify

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
)

// IntelSGXRootCAFingerprint is the lower-case hex SHA-256 of the DER of
// Intel's SGX Root CA certificate, the trust anchor of every DCAP quote.
const IntelSGXRootCAFingerprint = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"

// intelSGXRootCAPEM is Intel's "Intel SGX Root CA" certificate, valid from
// 2018-05-21 to 2049-12-31. It is the certificate that ends the PCK chain of
// every quote made on real TDX hardware.
const intelSGXRootCAPEM = `-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
`

// intelRootDER decodes the pinned root once and checks it against its
// fingerprint, so a damaged constant can never become a trust anchor.
var intelRootDER = sync.OnceValues(func() ([]byte, error) {
	block, _ := pem.Decode([]byte(intelSGXRootCAPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("verify: pinned Intel root is not a PEM certificate")
	}
	if got := fingerprint(block.Bytes); got != IntelSGXRootCAFingerprint {
		return nil, fmt.Errorf("verify: pinned Intel root fingerprint: expected %s, found %s", IntelSGXRootCAFingerprint, got)
	}
	return block.Bytes, nil
})

// IntelSGXRootCA returns a freshly parsed copy of the pinned Intel SGX Root
// CA certificate. Callers may modify the result.
func IntelSGXRootCA() (*x509.Certificate, error) {
	der, err := intelRootDER()
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(bytes.Clone(der))
}
