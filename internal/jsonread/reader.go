// Package jsonread reads JSON in one pass and without reflection, for the
// decoders of documents a CVM or a collateral service sends: a cursor over
// a byte slice that validates as it reads.
//
// It accepts exactly what encoding/json accepts (RFC 8259, at most
// MaxDepth nested arrays and objects, invalid UTF-8 inside strings
// allowed) and unquotes strings exactly as encoding/json does, replacing
// invalid UTF-8 and unpaired surrogates with U+FFFD. Its fuzz target checks
// both against encoding/json. Time and memory are linear in the input.
//
// A decoder walks a document with Object and Array, reads scalars with
// String, Number and Null, and passes over what it does not need with
// Skip; End checks that nothing but white space follows. Errors of syntax
// are *SyntaxError; the decoders report the type errors of their own
// fields.
package jsonread

import (
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects, as encoding/json does.
const MaxDepth = 10000

// Kind is the kind of a JSON value, told by its first byte.
type Kind byte

// The kinds of JSON values. Invalid is anything that cannot start one,
// the end of the input included.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

// String names the kind as error messages do: "a string", "an object".
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Array:
		return "an array"
	case Object:
		return "an object"
	}
	return "nothing"
}

// SyntaxError is input that is not JSON.
type SyntaxError struct {
	// Offset is the byte offset at which the error was found.
	Offset int
	// Msg says what was expected and what was found.
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("json: offset %d: %s", e.Offset, e.Msg)
}

// Reader reads JSON values from a byte slice. The slices it returns alias
// that input unless said otherwise; it never modifies it.
type Reader struct {
	data  []byte
	pos   int
	depth int
}

// New returns a Reader at the start of data.
func New(data []byte) *Reader { return &Reader{data: data} }

// Offset returns the position of the reader in its input.
func (r *Reader) Offset() int { return r.pos }

// syntax returns a *SyntaxError at the reader's position.
func (r *Reader) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: r.pos, Msg: fmt.Sprintf(format, args...)}
}

// found describes the byte at the reader's position for an error message.
func (r *Reader) found() string {
	if r.pos >= len(r.data) {
		return "the end of the input"
	}
	return fmt.Sprintf("%q", r.data[r.pos])
}

// space skips JSON white space.
func (r *Reader) space() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// Peek skips white space and returns the kind of the next value without
// reading it.
func (r *Reader) Peek() Kind {
	r.space()
	if r.pos >= len(r.data) {
		return Invalid
	}
	switch c := r.data[r.pos]; {
	case c == '"':
		return String
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == 'n':
		return Null
	case c == 't' || c == 'f':
		return Bool
	case c == '-' || '0' <= c && c <= '9':
		return Number
	}
	return Invalid
}

// End checks that only white space is left.
func (r *Reader) End() error {
	r.space()
	if r.pos != len(r.data) {
		return r.syntax("expected the end of the input, found %s", r.found())
	}
	return nil
}

// Null reads a null if one is next and reports whether it did.
func (r *Reader) Null() (bool, error) {
	if r.Peek() != Null {
		return false, nil
	}
	return true, r.literal("null")
}

// literal reads the literal word.
func (r *Reader) literal(word string) error {
	if len(r.data)-r.pos < len(word) || string(r.data[r.pos:r.pos+len(word)]) != word {
		return r.syntax("expected %s", word)
	}
	r.pos += len(word)
	return nil
}

// Bool reads a true or false.
func (r *Reader) Bool() (bool, error) {
	if r.Peek() == Bool && r.data[r.pos] == 't' {
		return true, r.literal("true")
	}
	return false, r.literal("false")
}

// Number reads a number and returns its text.
func (r *Reader) Number() ([]byte, error) {
	r.space()
	start := r.pos
	d := r.data
	if r.pos < len(d) && d[r.pos] == '-' {
		r.pos++
	}
	switch {
	case r.pos < len(d) && d[r.pos] == '0':
		r.pos++
	case r.pos < len(d) && '1' <= d[r.pos] && d[r.pos] <= '9':
		r.digits()
	default:
		return nil, r.syntax("expected a digit, found %s", r.found())
	}
	if r.pos < len(d) && d[r.pos] == '.' {
		r.pos++
		if !r.digits() {
			return nil, r.syntax("expected a digit after the decimal point, found %s", r.found())
		}
	}
	if r.pos < len(d) && (d[r.pos] == 'e' || d[r.pos] == 'E') {
		r.pos++
		if r.pos < len(d) && (d[r.pos] == '+' || d[r.pos] == '-') {
			r.pos++
		}
		if !r.digits() {
			return nil, r.syntax("expected a digit in the exponent, found %s", r.found())
		}
	}
	return d[start:r.pos], nil
}

// digits reads a run of decimal digits and reports whether there was one.
func (r *Reader) digits() bool {
	start := r.pos
	for r.pos < len(r.data) && '0' <= r.data[r.pos] && r.data[r.pos] <= '9' {
		r.pos++
	}
	return r.pos > start
}

// String reads a string and returns its value. The value aliases the
// input when the string is plain (no escapes, only ASCII); otherwise it is
// a new slice, decoded in the same pass that checks the string.
func (r *Reader) String() ([]byte, error) {
	r.space()
	d := r.data
	if r.pos >= len(d) || d[r.pos] != '"' {
		return nil, r.syntax("expected a string, found %s", r.found())
	}
	start := r.pos + 1
	end := start + plainRun(d[start:])
	if end < len(d) && d[end] == '"' {
		r.pos = end + 1
		return d[start:end], nil
	}
	r.pos = end
	// The value is at most as long as the rest of the input; reserve that
	// much, within reason, so that a long escaped string such as an event
	// log grows its buffer rarely.
	size := min(len(d)-start, 64<<10)
	return r.decodeString(append(make([]byte, 0, size), d[start:end]...))
}

// decodeString decodes the rest of a string from the reader's position,
// appending its value to out, and leaves the reader after the closing
// quote. It decodes as encoding/json does: escapes resolved, a surrogate
// pair joined, and an unpaired surrogate or a byte that is not valid UTF-8
// replaced with U+FFFD.
func (r *Reader) decodeString(out []byte) ([]byte, error) {
	d := r.data
	for {
		i := r.pos
		n := plainRun(d[i:])
		out = append(out, d[i:i+n]...)
		i += n
		r.pos = i
		if i >= len(d) {
			return nil, r.syntax("expected the end of the string, found the end of the input")
		}
		switch c := d[i]; {
		case c == '"':
			r.pos++
			return out, nil
		case c == '\\':
			var err error
			if out, err = r.decodeEscape(out); err != nil {
				return nil, err
			}
		case c < 0x20:
			return nil, r.syntax("expected a character of a string, found control character %q", c)
		default:
			rn, size := utf8.DecodeRune(d[i:])
			out = utf8.AppendRune(out, rn)
			r.pos += size
		}
	}
}

// decodeEscape checks the escape sequence at the reader's position,
// appends what it stands for to out and passes it.
func (r *Reader) decodeEscape(out []byte) ([]byte, error) {
	d := r.data[r.pos:]
	if len(d) < 2 {
		return nil, r.syntax("expected an escape sequence, found the end of the input")
	}
	if c := unescaped[d[1]]; c != 0 {
		r.pos += 2
		return append(out, c), nil
	}
	if d[1] != 'u' {
		return nil, r.syntax("expected an escape sequence, found \\%c", d[1])
	}
	rn := u4(d)
	if rn < 0 {
		return nil, r.syntax("expected four hex digits after \\u")
	}
	r.pos += 6
	if utf16.IsSurrogate(rn) {
		if pair := utf16.DecodeRune(rn, u4(d[6:])); pair != unicode.ReplacementChar {
			r.pos += 6
			return utf8.AppendRune(out, pair), nil
		}
		rn = unicode.ReplacementChar
	}
	return utf8.AppendRune(out, rn), nil
}

// scanString reads and checks a string without decoding it, leaving the
// reader after its closing quote.
func (r *Reader) scanString() error {
	d := r.data
	if r.pos >= len(d) || d[r.pos] != '"' {
		return r.syntax("expected a string, found %s", r.found())
	}
	r.pos++
	for {
		i := r.pos + plainRun(d[r.pos:])
		r.pos = i
		if i >= len(d) {
			return r.syntax("expected the end of the string, found the end of the input")
		}
		switch c := d[i]; {
		case c == '"':
			r.pos++
			return nil
		case c == '\\':
			var buf [utf8.UTFMax]byte
			if _, err := r.decodeEscape(buf[:0]); err != nil {
				return err
			}
		case c < 0x20:
			return r.syntax("expected a character of a string, found control character %q", c)
		default:
			// Any byte is allowed; decoding replaces invalid UTF-8.
			r.pos++
		}
	}
}

// Skip reads any value and returns it as it appears in the input.
func (r *Reader) Skip() ([]byte, error) {
	r.space()
	start := r.pos
	var err error
	switch r.Peek() {
	case String:
		err = r.scanString()
	case Number:
		_, err = r.Number()
	case Null:
		err = r.literal("null")
	case Bool:
		_, err = r.Bool()
	case Array:
		err = r.Array(func() error {
			_, err := r.Skip()
			return err
		})
	case Object:
		err = r.Object(func([]byte) error {
			_, err := r.Skip()
			return err
		})
	default:
		err = r.syntax("expected a JSON value, found %s", r.found())
	}
	if err != nil {
		return nil, err
	}
	return r.data[start:r.pos], nil
}

// enter counts one more level of nesting.
func (r *Reader) enter() error {
	r.depth++
	if r.depth > MaxDepth {
		return r.syntax("expected at most %d nested arrays and objects, found more", MaxDepth)
	}
	return nil
}

// Object reads an object, calling member for each of its members in
// order with the member's unquoted name; member must read the value. An
// error from member stops the reading and is returned as it is.
func (r *Reader) Object(member func(name []byte) error) error {
	more, err := r.open('{', '}', "an object")
	for more && err == nil {
		var name []byte
		if name, err = r.String(); err != nil {
			return err
		}
		r.space()
		if r.pos >= len(r.data) || r.data[r.pos] != ':' {
			return r.syntax("expected ':' after an object key, found %s", r.found())
		}
		r.pos++
		if err = member(name); err != nil {
			return err
		}
		more, err = r.next('}', "'}' after an object member")
	}
	return err
}

// Array reads an array, calling element for each of its elements in
// order; element must read the value. An error from element stops the
// reading and is returned as it is.
func (r *Reader) Array(element func() error) error {
	more, err := r.open('[', ']', "an array")
	for more && err == nil {
		if err = element(); err != nil {
			return err
		}
		more, err = r.next(']', "']' after an array element")
	}
	return err
}

// open reads the opening byte of an array or object (what names it) and,
// if it is empty, its closing byte; more says whether an element follows.
func (r *Reader) open(opening, closing byte, what string) (more bool, err error) {
	r.space()
	if r.pos >= len(r.data) || r.data[r.pos] != opening {
		return false, r.syntax("expected %s, found %s", what, r.found())
	}
	if err := r.enter(); err != nil {
		return false, err
	}
	r.pos++
	r.space()
	if r.pos < len(r.data) && r.data[r.pos] == closing {
		r.pos++
		r.depth--
		return false, nil
	}
	return true, nil
}

// next reads the ',' between two elements, or the closing byte after the
// last; more says whether an element follows. after names the closing
// byte and what it follows, for the error.
func (r *Reader) next(closing byte, after string) (more bool, err error) {
	r.space()
	if r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ',':
			r.pos++
			r.space()
			return true, nil
		case closing:
			r.pos++
			r.depth--
			return false, nil
		}
	}
	return false, r.syntax("expected ',' or %s, found %s", after, r.found())
}

// hexValue returns the value of a hex digit, or -1.
func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
