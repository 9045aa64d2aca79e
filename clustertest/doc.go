// Package clustertest runs several real `paraat serve` processes on one PostgreSQL database
// and checks, with real websocket clients spread over them, that they behave as one server:
// answers from every node decided by the session's owner, a console on one node that sees
// everything, a killed owner taken over with no acknowledged answer lost or doubled, and a
// paused owner fenced off when it wakes. See docs/POSTGRES.md.
package clustertest
