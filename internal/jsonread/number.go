package jsonread

// Int returns the value of a number read by Number as encoding/json
// decodes it into a signed integer of bits bits: ok is false for a
// fraction, an exponent or a value out of range.
func Int(num []byte, bits int) (v int64, ok bool) {
	neg := len(num) > 0 && num[0] == '-'
	if neg {
		num = num[1:]
	}
	limit := uint64(1) << (bits - 1) // the magnitude of the most negative value
	u, ok := magnitude(num, limit)
	switch {
	case !ok:
		return 0, false
	case neg:
		return -int64(u-1) - 1, true
	case u == limit:
		return 0, false
	}
	return int64(u), true
}

// Uint is Int for an unsigned integer: a minus sign, even before 0, is
// refused, as encoding/json refuses it.
func Uint(num []byte, bits int) (uint64, bool) {
	if len(num) > 0 && num[0] == '-' {
		return 0, false
	}
	return magnitude(num, 1<<bits-1)
}

// magnitude parses decimal digits into a value of at most limit.
func magnitude(digits []byte, limit uint64) (uint64, bool) {
	if len(digits) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
