package collateral

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/cvmgate/cvmgate/internal/jsonread"
)

// decoder reads a signed JSON item (TCB info, QE identity) in one pass.
//
// It decodes what encoding/json would decode into the item's types, with
// two differences that make the item unambiguous: member names must be
// spelled exactly, and a member must not be given twice. A duplicate or a
// member named like a known one in another case is refused (encoding/json
// would take the last of them whatever their case, Intel's QVL the first
// spelled exactly; Intel writes neither). Unknown members are skipped.
//
// Errors of syntax and of member names stop the pass. An error of a value
// (a wrong JSON type, bad hex, a bad date) is kept, the first one only,
// and the pass goes on, so that a missing or null required member is
// reported first, as before.
type decoder struct {
	item string
	r    *jsonread.Reader
	// err is the first error of a value.
	err error
}

// fail keeps err if it is the first error of a value.
func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// syntax wraps an error of the JSON itself.
func (d *decoder) syntax(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	return &FormatError{Item: d.item, Err: err}
}

// Readers take the path of the object a value is in and the value's name
// in it, and join them only to name the value in an error: paths are
// written as encoding/json names fields, without indices, such as
// "tcbLevels.tcb.sgxtcbcomponents.svn".

// join names the member name of the object at path.
func join(path, name string) string {
	switch {
	case path == "":
		return name
	case name == "":
		return path
	}
	return path + "." + name
}

// wrongType skips a value of kind k where want was expected and keeps the
// error.
func (d *decoder) wrongType(path, name, want string, k jsonread.Kind) error {
	if _, err := d.r.Skip(); err != nil {
		return d.syntax(err)
	}
	d.fail(formatErr(d.item, join(path, name), "expected %s, found %s", want, k))
	return nil
}

// null reads a null if one is next and reports whether it did.
func (d *decoder) null() (bool, error) {
	null, err := d.r.Null()
	if err != nil {
		return false, d.syntax(err)
	}
	return null, nil
}

// object reads the object path.name, calling member for each member
// named exactly as one of names, with that name; null leaves everything
// untouched. It returns which of names were present and which of those
// were null, as bit masks.
func (d *decoder) object(path, name string, names []string, member func(name string) error) (present, null uint32, err error) {
	switch k := d.r.Peek(); k {
	case jsonread.Null:
		_, err := d.null()
		return 0, 0, err
	case jsonread.Object:
	default:
		return 0, 0, d.wrongType(path, name, "an object", k)
	}
	err = d.r.Object(func(key []byte) error {
		i := slices.Index(names, string(key))
		if i < 0 {
			for _, n := range names {
				if jsonread.EqualFold(key, n) {
					return formatErr(d.item, join(join(path, name), string(key)), "expected the member name %q, found another case of it", n)
				}
			}
			_, err := d.r.Skip()
			return err
		}
		if present&(1<<i) != 0 {
			return formatErr(d.item, join(join(path, name), names[i]), "expected one member of that name, found a second")
		}
		present |= 1 << i
		if d.r.Peek() == jsonread.Null {
			null |= 1 << i
		}
		return member(names[i])
	})
	if err != nil {
		return 0, 0, d.syntax(err)
	}
	return present, null, nil
}

// decodeArray reads the array path.name into a new slice, calling elem
// with each new element; null gives nil, and [] an empty slice that is
// not nil.
func decodeArray[T any](d *decoder, path, name string, elem func(*T) error) ([]T, error) {
	switch k := d.r.Peek(); k {
	case jsonread.Null:
		_, err := d.null()
		return nil, err
	case jsonread.Array:
	default:
		return nil, d.wrongType(path, name, "an array", k)
	}
	out := []T{}
	err := d.r.Array(func() error {
		out = append(out, *new(T))
		return elem(&out[len(out)-1])
	})
	if err != nil {
		return nil, d.syntax(err)
	}
	return out, nil
}

// str reads a string; null leaves *s as it is.
func (d *decoder) str(path, name string, s *string) error {
	switch k := d.r.Peek(); k {
	case jsonread.String:
		v, err := d.r.String()
		if err != nil {
			return d.syntax(err)
		}
		*s = string(v)
		return nil
	case jsonread.Null:
		_, err := d.null()
		return err
	default:
		return d.wrongType(path, name, "a string", k)
	}
}

// strs reads an array of strings.
func (d *decoder) strs(path, name string, s *[]string) error {
	var err error
	*s, err = decodeArray(d, path, name, func(e *string) error { return d.str(path, name, e) })
	return err
}

// number reads the text of a number; null gives nil.
func (d *decoder) number(path, name, want string) ([]byte, error) {
	switch k := d.r.Peek(); k {
	case jsonread.Number:
		num, err := d.r.Number()
		if err != nil {
			return nil, d.syntax(err)
		}
		return num, nil
	case jsonread.Null:
		_, err := d.null()
		return nil, err
	default:
		return nil, d.wrongType(path, name, want, k)
	}
}

// int reads an int; null leaves *v as it is.
func (d *decoder) int(path, name string, v *int) error {
	num, err := d.number(path, name, "an integer")
	if err != nil || num == nil {
		return err
	}
	n, ok := jsonread.Int(num, strconv.IntSize)
	if !ok {
		d.fail(formatErr(d.item, join(path, name), "expected an integer, found the number %s", num))
		return nil
	}
	*v = int(n)
	return nil
}

// uint reads an unsigned integer of bits bits; null leaves *v as it is.
func (d *decoder) uint(path, name string, bits int, v *uint64) error {
	num, err := d.number(path, name, "an unsigned integer")
	if err != nil || num == nil {
		return err
	}
	n, ok := jsonread.Uint(num, bits)
	if !ok {
		d.fail(formatErr(d.item, join(path, name), "expected an unsigned %d-bit integer, found the number %s", bits, num))
		return nil
	}
	*v = n
	return nil
}

// uint16 reads a uint16; null leaves *v as it is.
func (d *decoder) uint16(path, name string, v *uint16) error {
	n := uint64(*v)
	err := d.uint(path, name, 16, &n)
	*v = uint16(n)
	return err
}

// uint8 reads a uint8; null leaves *v as it is.
func (d *decoder) uint8(path, name string, v *uint8) error {
	n := uint64(*v)
	err := d.uint(path, name, 8, &n)
	*v = uint8(n)
	return err
}

// time reads a date as time.Time's UnmarshalJSON does (RFC 3339 in a
// JSON string without escapes); null leaves *t as it is.
func (d *decoder) time(path, name string, t *time.Time) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	raw, err := d.r.Skip()
	if err != nil {
		return d.syntax(err)
	}
	if err := t.UnmarshalJSON(raw); err != nil {
		d.fail(&FormatError{Item: d.item, Field: join(path, name), Err: err})
	}
	return nil
}

// hex reads hex bytes as HexBytes.UnmarshalJSON does; null is an error.
func (d *decoder) hex(path, name string, h *HexBytes) error {
	raw, err := d.r.Skip()
	if err != nil {
		return d.syntax(err)
	}
	if err := h.UnmarshalJSON(raw); err != nil {
		d.fail(&FormatError{Item: d.item, Field: join(path, name), Err: err})
	}
	return nil
}

// top reads raw, the whole item: a JSON object whose members are names.
// Then it checks that the first required of names are present and not
// null and the notNull after them not null, and returns the first error
// of a value, if any.
func (d *decoder) top(raw []byte, names []string, required, notNull int, member func(name string) error) error {
	d.r = jsonread.New(raw)
	if k := d.r.Peek(); k != jsonread.Object {
		if _, err := d.r.Skip(); err != nil {
			return d.syntax(err)
		}
		if err := d.r.End(); err != nil {
			return d.syntax(err)
		}
		return formatErr(d.item, "", "expected a JSON object, found %s", k)
	}
	present, null, err := d.object("", "", names, member)
	if err != nil {
		return err
	}
	if err := d.r.End(); err != nil {
		return d.syntax(err)
	}
	for i := range required {
		switch {
		case present&(1<<i) == 0:
			return formatErr(d.item, names[i], "expected the field, found none")
		case null&(1<<i) != 0:
			return formatErr(d.item, names[i], "expected a value, found null")
		}
	}
	for i := required; i < required+notNull; i++ {
		if null&(1<<i) != 0 {
			return formatErr(d.item, names[i], "expected a value or no field, found null")
		}
	}
	return d.err
}
