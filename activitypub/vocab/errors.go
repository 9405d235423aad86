package vocab

import "errors"

// ErrTooDeep is returned (wrapped) by [Decode] and the UnmarshalJSON methods when the input nests
// objects and arrays more than [MaxDepth] levels deep.
var ErrTooDeep = errors.New("vocab: JSON nested too deeply")

// ErrNotObject is returned (wrapped) by [Decode] and [Object.UnmarshalJSON] when the top level of
// the input is not a JSON object.
var ErrNotObject = errors.New("vocab: JSON value is not an object")

// errShape reports that a value has a shape the target field cannot hold. Object decoding turns it
// into an Extra entry; it reaches callers only from the UnmarshalJSON methods of the small types.
var errShape = errors.New("vocab: unexpected JSON shape")
