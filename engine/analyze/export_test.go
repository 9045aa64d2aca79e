package analyze

// Exported for the tests.
var (
	ParseClock = parseClock
	Absolutes  = absolutes
)

// Backwards reports whether clock b, following clock a, certainly runs back.
func Backwards(a, b string) bool {
	ca, _ := readClock(a)
	cb, _ := readClock(b)
	return ca.after(cb)
}
