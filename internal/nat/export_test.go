package nat

// SetMaxHours makes the hourly figures read at most n hours, until the returned func restores
// the limit: a test of what they say when they stop short needs no 417 days of logs.
func SetMaxHours(n int) (restore func()) {
	old := maxHours
	maxHours = n
	return func() { maxHours = old }
}
