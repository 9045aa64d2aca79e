package analyze

import (
	"regexp"
	"strconv"
	"strings"
)

// Clocks are written as the time since the crisis began ("T+2:30", "T+45m"), a day and time
// ("Dag 2 09:00", "Day 2 09:00", "Dag 3"), a week ("Week 3") or a month ("Maand 2", "Month
// 2"). parseClock turns one into the earliest and latest minute since day 1, 00:00 it can
// mean: "T+" counts from a start somewhere on day 1, "Dag 3" without a time is all of day 3,
// "Week 3" all of its days, "Maand 2" all of days 31 to 60. A clock goes backwards only when
// the next one certainly lies before the previous (see clock.after).
var (
	clockT    = regexp.MustCompile(`^t\s*\+\s*(\d+)(?::(\d{1,2}))?\s*(u|h|m|min|uur)?$`)
	clockDay  = regexp.MustCompile(`^(?:dag|day|d)\s*(\d+)(?:[,\s]+(\d{1,2})[:.](\d{2}))?$`)
	clockWeek = regexp.MustCompile(`^(?:week|wk)\s*(\d+)$`)
	clockMon  = regexp.MustCompile(`^(?:maand|month)\s*(\d+)$`)
)

const day = 24 * 60

// clock is a parsed clock: a span of minutes since day 1, 00:00, or (rel) an exact number of
// minutes since the unknown start of the crisis on day 1.
type clock struct {
	lo, hi int
	rel    bool
}

// after reports whether b certainly lies before a. Two "T+" clocks compare exactly; a "T+"
// clock against a day, week or month counts as any minute of the day it may fall on.
func (a clock) after(b clock) bool {
	if a.rel == b.rel {
		return b.hi < a.lo
	}
	span := func(c clock) (int, int) {
		if c.rel {
			return c.lo, c.lo + day - 1
		}
		return c.lo, c.hi
	}
	alo, _ := span(a)
	_, bhi := span(b)
	return bhi < alo
}

func parseClock(s string) (lo, hi int, ok bool) {
	c, ok := readClock(s)
	return c.lo, c.hi, ok
}

func readClock(s string) (clock, bool) {
	c := strings.ToLower(strings.TrimSpace(s))
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	if m := clockT.FindStringSubmatch(c); m != nil {
		var mins int
		switch {
		case m[2] != "":
			mins = atoi(m[1])*60 + atoi(m[2])
		case m[3] == "m" || m[3] == "min":
			mins = atoi(m[1])
		default:
			mins = atoi(m[1]) * 60
		}
		if m[2] != "" && atoi(m[2]) > 59 {
			return clock{}, false
		}
		return clock{mins, mins, true}, true
	}
	if m := clockDay.FindStringSubmatch(c); m != nil {
		d := atoi(m[1])
		if d < 1 {
			return clock{}, false
		}
		if m[2] == "" {
			return clock{(d - 1) * day, d*day - 1, false}, true
		}
		h, mi := atoi(m[2]), atoi(m[3])
		if h > 24 || mi > 59 {
			return clock{}, false
		}
		t := (d-1)*day + h*60 + mi
		return clock{t, t, false}, true
	}
	if m := clockWeek.FindStringSubmatch(c); m != nil && atoi(m[1]) >= 1 {
		w := atoi(m[1])
		return clock{(w - 1) * 7 * day, w*7*day - 1, false}, true
	}
	if m := clockMon.FindStringSubmatch(c); m != nil && atoi(m[1]) >= 1 {
		n := atoi(m[1])
		return clock{(n - 1) * 30 * day, n*30*day - 1, false}, true
	}
	return clock{}, false
}
