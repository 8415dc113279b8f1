package quote

import "encoding/binary"

// cursor reads a quote front to back. Every read is bounds-checked against
// the bytes that remain before anything is sliced, and every failure names
// the field and its absolute offset in the quote.
type cursor struct {
	b    []byte // the bytes this cursor may read
	base int    // absolute offset of b[0] in the quote
	pos  int    // next byte to read, relative to b
}

// offset returns the absolute offset of the next byte to read.
func (c *cursor) offset() int { return c.base + c.pos }

// remaining returns the number of unread bytes.
func (c *cursor) remaining() int { return len(c.b) - c.pos }

// take returns the next n bytes of field, aliasing the input. The length
// is compared as uint64 so that no length field can overflow an int.
func (c *cursor) take(field string, n uint64) ([]byte, error) {
	if n > uint64(c.remaining()) {
		return nil, truncated(field, c.offset(), n, c.remaining())
	}
	s := c.b[c.pos : c.pos+int(n) : c.pos+int(n)]
	c.pos += int(n)
	return s, nil
}

// sub returns a cursor over the next n bytes of field and skips them.
func (c *cursor) sub(field string, n uint64) (cursor, error) {
	base := c.offset()
	b, err := c.take(field, n)
	if err != nil {
		return cursor{}, err
	}
	return cursor{b: b, base: base}, nil
}

// u16 reads a little-endian uint16 field.
func (c *cursor) u16(field string) (uint16, error) {
	b, err := c.take(field, 2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

// u32 reads a little-endian uint32 field.
func (c *cursor) u32(field string) (uint32, error) {
	b, err := c.take(field, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}
