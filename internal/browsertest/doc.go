// Package browsertest holds end-to-end tests that drive the restload
// binary's web UI ("restload show") in headless Chromium through the
// DevTools protocol. The tests need Debian's chromium package at
// /usr/bin/chromium (or CHROMIUM_PATH); scripts/test installs it.
package browsertest
