package store

import "errors"

// ErrInvalid reports a record the store refuses before it reaches the
// database: an unknown role or tenant kind, an empty required field, a
// tenant overseeing itself, audit detail that is not JSON. Backends wrap it
// with %w and say which field is wrong.
var ErrInvalid = errors.New("store: invalid value")
