package cvmtest

// escapeIssuerChain percent-encodes a PEM chain for an HTTP header the way
// Intel PCS does: every byte but RFC 3986's unreserved characters becomes
// %XX. Unlike url.QueryEscape it never emits '+', so url.PathUnescape and
// url.QueryUnescape both decode it to the original.
func escapeIssuerChain(pem []byte) string {
	const hexDigits = "0123456789ABCDEF"
	out := make([]byte, 0, len(pem)*3/2)
	for _, c := range pem {
		if isUnreserved(c) {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return string(out)
}

func isUnreserved(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '.', c == '_', c == '~':
		return true
	}
	return false
}
