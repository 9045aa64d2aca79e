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
// the next one certainly lies before the previous: its latest minute before the other's
// earliest.
var (
	clockT    = regexp.MustCompile(`^t\s*\+\s*(\d+)(?::(\d{1,2}))?\s*(u|h|m|min|uur)?$`)
	clockDay  = regexp.MustCompile(`^(?:dag|day|d)\s*(\d+)(?:[,\s]+(\d{1,2})[:.](\d{2}))?$`)
	clockWeek = regexp.MustCompile(`^(?:week|wk)\s*(\d+)$`)
	clockMon  = regexp.MustCompile(`^(?:maand|month)\s*(\d+)$`)
)

const day = 24 * 60

func parseClock(s string) (lo, hi int, ok bool) {
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
			return 0, 0, false
		}
		return mins, mins + day - 1, true
	}
	if m := clockDay.FindStringSubmatch(c); m != nil {
		d := atoi(m[1])
		if d < 1 {
			return 0, 0, false
		}
		if m[2] == "" {
			return (d - 1) * day, d*day - 1, true
		}
		h, mi := atoi(m[2]), atoi(m[3])
		if h > 24 || mi > 59 {
			return 0, 0, false
		}
		t := (d-1)*day + h*60 + mi
		return t, t, true
	}
	if m := clockWeek.FindStringSubmatch(c); m != nil && atoi(m[1]) >= 1 {
		w := atoi(m[1])
		return (w - 1) * 7 * day, w*7*day - 1, true
	}
	if m := clockMon.FindStringSubmatch(c); m != nil && atoi(m[1]) >= 1 {
		n := atoi(m[1])
		return (n - 1) * 30 * day, n*30*day - 1, true
	}
	return 0, 0, false
}
