// Package e2e holds end-to-end tests: the whole application, started as
// `vedetta demo` starts it, driven by a real headless Chromium through
// chromedp. Screenshots are written to test-artifacts/ at the module root.
package e2e
