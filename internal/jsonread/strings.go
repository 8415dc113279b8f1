package jsonread

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// plainRun returns the length of the run at the start of b of bytes a
// string holds as they are: not the quote, the backslash, a control
// character or a byte of a multi-byte UTF-8 sequence. It tests eight bytes
// at a time.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		quote := w ^ ones*'"'
		backslash := w ^ ones*'\\'
		// A byte is zero in quote or backslash, below 0x20 in w, or has
		// its high bit set: the classic tests for "some byte is zero" and
		// "some byte is below n", exact as to whether any byte is.
		if ((quote-ones)&^quote|(backslash-ones)&^backslash|(w-ones*0x20)&^w|w)&highs != 0 {
			break
		}
	}
	for i < len(b) && b[i] >= 0x20 && b[i] < utf8.RuneSelf && b[i] != '"' && b[i] != '\\' {
		i++
	}
	return i
}

// Hex reads a string that is only hex digits, after an optional 0x or
// 0X, and returns its text and its value, decoded straight from the input
// by hexfmt.DecodeBytes (an empty value is nil). When the next value is not such a
// string (an escape, another character, an odd number of digits, not a
// string at all) ok is false and the reader is still before it: the caller
// reads the value otherwise and reports what is wrong with it.
func (r *Reader) Hex() (text, value []byte, ok bool) {
	r.space()
	d := r.data[r.pos:]
	if len(d) == 0 || d[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(d[1:], '"')
	if end < 0 {
		return nil, nil, false
	}
	text = d[1 : 1+end]
	value, err := hexfmt.DecodeBytes(text)
	if err != nil {
		return nil, nil, false
	}
	r.pos += end + 2
	return text, value, true
}

// unescaped maps the character after a backslash to what it stands for.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// u4 decodes the \uXXXX escape at the start of b, or returns -1.
func u4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var rn rune
	for _, c := range b[2:6] {
		v := hexValue(c)
		if v < 0 {
			return -1
		}
		rn = rn<<4 | rune(v)
	}
	return rn
}

// EqualFold reports whether a member name read by Object matches name as
// encoding/json matches names with struct fields: under Unicode simple
// case folding.
func EqualFold(key []byte, name string) bool {
	if len(key) == len(name) && string(key) == name {
		return true
	}
	return bytes.EqualFold(key, []byte(name))
}
