package policy

// List is a policy allowlist. A nil List is absent and not checked; a
// non-nil empty List is present and accepts nothing. Marshaling keeps the
// difference: a nil List is omitted, an empty one is written as [].
type List[T any] []T

// IsZero reports whether the list is absent (nil). Both the YAML and the
// JSON encoders use it for omitempty and omitzero.
func (l List[T]) IsZero() bool { return l == nil }
