// Package e2e tests the browser UI in headless Chromium against the real server stack: a
// SQLite event log, the live manager and the HTTP server with the embedded UI. It has only
// tests; they skip when Chromium is missing, and fail instead when CI=true.
package e2e
