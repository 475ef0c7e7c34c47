//go:build !unix

package cli

import "os"

// terminalWidth is unknown here: the layout falls back to 80 columns
// (COLUMNS still sets it).
func terminalWidth(*os.File) int { return 0 }
