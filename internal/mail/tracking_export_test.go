package mail

// WithOpenPixel lets the external tests reach the helper the sender calls on
// each copy it builds.
var WithOpenPixel = (*Service).withOpenPixel
