package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// cronField describes one field of a cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names for min, min+1, ...
	question bool     // "?" allowed
	last     bool     // "L" allowed (day of month)
	nth      bool     // "DAY#N" allowed (day of week)
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31, question: true, last: true},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, question: true, nth: true},
}

var cronMacros = map[string]bool{"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true, "@daily": true, "@midnight": true, "@hourly": true}

// CheckCron returns why Prefect would reject a cron expression, or "".
// It follows the croniter that Prefect vendors: five fields, numbers or
// names (JAN-DEC, SUN-SAT), lists, ranges (which may wrap, as 22-2),
// steps, "?" and "L" for the day of month, "DAY#N" for the day of week,
// and the @hourly...@yearly macros; no random or hashed fields.
func CheckCron(expr string) string {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "@") {
		if cronMacros[strings.ToLower(e)] {
			return ""
		}
		return fmt.Sprintf("unknown macro %s (use @hourly, @daily, @weekly, @monthly or @yearly)", e)
	}
	fields := strings.Fields(e)
	if len(fields) != 5 {
		return fmt.Sprintf("has %d fields; Prefect cron has five: minute hour day-of-month month day-of-week", len(fields))
	}
	for i, f := range fields {
		if msg := checkCronField(cronFields[i], f); msg != "" {
			return fmt.Sprintf("%s field %q: %s", cronFields[i].name, f, msg)
		}
	}
	return ""
}

func checkCronField(cf cronField, f string) string {
	for _, item := range strings.Split(f, ",") {
		if item == "" {
			return "empty list item"
		}
		if msg := checkCronItem(cf, item); msg != "" {
			return msg
		}
	}
	return ""
}

func checkCronItem(cf cronField, item string) string {
	switch {
	case item == "*":
		return ""
	case item == "?":
		if cf.question {
			return ""
		}
		return "? is only allowed for day of month and day of week"
	case item == "L" && cf.last:
		return ""
	case strings.EqualFold(item, "H") || strings.EqualFold(item, "R"):
		return "random and hashed fields are not supported by Prefect"
	}
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return fmt.Sprintf("step %q must be a positive number", step)
		}
		if base == "*" {
			return ""
		}
	}
	if cf.nth && strings.Contains(base, "#") && !hasStep {
		day, nth, _ := strings.Cut(base, "#")
		if _, msg := cronValue(cf, day); msg != "" {
			return msg
		}
		n, err := strconv.Atoi(nth)
		if err != nil || n < 1 || n > 5 {
			return fmt.Sprintf("#%s must be #1 to #5", nth)
		}
		return ""
	}
	lo, hi, isRange := strings.Cut(base, "-")
	if _, msg := cronValue(cf, lo); msg != "" {
		return msg
	}
	if isRange {
		if _, msg := cronValue(cf, hi); msg != "" {
			return msg
		}
	}
	return ""
}

func cronValue(cf cronField, s string) (int, string) {
	if s == "" {
		return 0, "missing value"
	}
	for i, n := range cf.names {
		if strings.EqualFold(s, n) {
			return cf.min + i, ""
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		if len(cf.names) > 0 {
			return 0, fmt.Sprintf("%q is not a number or a name (%s-%s)", s, cf.names[0], cf.names[len(cf.names)-1])
		}
		return 0, fmt.Sprintf("%q is not a number", s)
	}
	if v < cf.min || v > cf.max {
		return 0, fmt.Sprintf("%d is out of range %d-%d", v, cf.min, cf.max)
	}
	return v, ""
}

var rruleKeys = map[string]string{
	"FREQ": "freq", "INTERVAL": "int+", "COUNT": "int+", "UNTIL": "date", "WKST": "day",
	"BYDAY": "days", "BYMONTH": "1:12", "BYMONTHDAY": "±1:31", "BYHOUR": "0:23", "BYMINUTE": "0:59",
	"BYSECOND": "0:59", "BYYEARDAY": "±1:366", "BYWEEKNO": "±1:53", "BYSETPOS": "±1:366", "BYEASTER": "int",
}

var rruleFreqs = map[string]bool{"YEARLY": true, "MONTHLY": true, "WEEKLY": true, "DAILY": true, "HOURLY": true, "MINUTELY": true, "SECONDLY": true}
var rruleDays = map[string]bool{"MO": true, "TU": true, "WE": true, "TH": true, "FR": true, "SA": true, "SU": true}

// CheckRRule returns why Prefect (dateutil's rrulestr) would reject an
// RFC 5545 recurrence rule, or "".
func CheckRRule(rule string) string {
	if len(rule) > 6500 {
		return "longer than the 6500 characters Prefect allows"
	}
	var body string
	for _, line := range strings.Split(strings.TrimSpace(rule), "\n") {
		line = strings.TrimSpace(line)
		name, value, ok := strings.Cut(line, ":")
		switch {
		case !ok || strings.Contains(name, "="):
			if body != "" {
				return "more than one rule"
			}
			body = line
		case strings.HasPrefix(strings.ToUpper(name), "DTSTART"):
			if !validRRuleDate(value) {
				return fmt.Sprintf("DTSTART %q is not a date-time", value)
			}
		case strings.EqualFold(name, "RRULE"):
			if body != "" {
				return "more than one rule"
			}
			body = value
		default:
			return fmt.Sprintf("unsupported line %q", line)
		}
	}
	if body == "" {
		return "no rule (write FREQ=...)"
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(body, ";") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToUpper(k)
		if !ok || v == "" {
			return fmt.Sprintf("%q is not KEY=VALUE", part)
		}
		kind, known := rruleKeys[k]
		if !known {
			return fmt.Sprintf("unknown key %s", k)
		}
		if seen[k] {
			return fmt.Sprintf("%s given twice", k)
		}
		seen[k] = true
		if msg := checkRRuleValue(kind, strings.ToUpper(v)); msg != "" {
			return fmt.Sprintf("%s=%s: %s", k, v, msg)
		}
	}
	if !seen["FREQ"] {
		return "FREQ is missing"
	}
	if seen["COUNT"] && seen["UNTIL"] {
		return "COUNT and UNTIL cannot both be given"
	}
	return ""
}

func validRRuleDate(s string) bool {
	s = strings.TrimSuffix(s, "Z")
	if len(s) == 8 {
		_, err := strconv.Atoi(s)
		return err == nil
	}
	d, t, ok := strings.Cut(s, "T")
	if !ok || len(d) != 8 || len(t) != 6 {
		return false
	}
	_, e1 := strconv.Atoi(d)
	_, e2 := strconv.Atoi(t)
	return e1 == nil && e2 == nil
}

func checkRRuleValue(kind, v string) string {
	switch kind {
	case "freq":
		if !rruleFreqs[v] {
			return "not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"
		}
	case "int+":
		if n, err := strconv.Atoi(v); err != nil || n <= 0 {
			return "must be a positive number"
		}
	case "int":
		if _, err := strconv.Atoi(v); err != nil {
			return "must be a number"
		}
	case "date":
		if !validRRuleDate(v) {
			return "must be a date (20260131) or date-time (20260131T090000Z)"
		}
	case "day":
		if !rruleDays[v] {
			return "must be a day: MO, TU, WE, TH, FR, SA or SU"
		}
	case "days":
		for _, d := range strings.Split(v, ",") {
			day := d
			if len(d) > 2 {
				n, err := strconv.Atoi(d[:len(d)-2])
				if err != nil || n == 0 || n < -53 || n > 53 {
					return fmt.Sprintf("%q is not a day such as MO, 1MO or -1FR", d)
				}
				day = d[len(d)-2:]
			}
			if !rruleDays[day] {
				return fmt.Sprintf("%q is not a day such as MO, 1MO or -1FR", d)
			}
		}
	default: // "lo:hi", with ± when negatives count from the end
		signed := strings.HasPrefix(kind, "±")
		lo, hi, _ := strings.Cut(strings.TrimPrefix(kind, "±"), ":")
		l, _ := strconv.Atoi(lo)
		h, _ := strconv.Atoi(hi)
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(s)
			if signed && n < 0 {
				n = -n
			}
			if err != nil || n < l || n > h {
				return fmt.Sprintf("%q is out of range %s", s, strings.TrimPrefix(kind, "±"))
			}
		}
	}
	return ""
}
