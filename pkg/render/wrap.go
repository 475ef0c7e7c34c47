package render

// Wrap breaks text into lines of at most width columns at spaces, as the
// text report wraps its details and fixes: a word longer than width (a
// URL, a cipher list) is cut after a ':', ',', '/' or ';' where it can; a
// line break in text is kept. Other commands' text output (wacheck
// explain) uses it so that it fits the terminal as the report does.
func Wrap(text string, width int) []string {
	return wrap(text, max(width, 20))
}
