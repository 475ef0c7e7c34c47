//go:build !linux

package exporter

// processFamilies are the process_* metrics: only Linux has them
// (/proc), elsewhere there are none.
func processFamilies() []*family { return nil }
