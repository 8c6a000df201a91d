package schema

import (
	"os"
	"testing"
)

// TestCheckCron compares with what Prefect 3.9.1's validate_cron_string
// (its vendored croniter) answered for the same expressions; the one
// difference is deliberate: Prefect also takes six fields (seconds),
// prefectgen asks for the five of a Prefect schedule.
func TestCheckCron(t *testing.T) {
	cases := map[string]bool{
		"0 6 * * MON-FRI": true, "*/15 * * * *": true, "0 0 L * *": true, "0 0 * * 5L": false,
		"0 0 * * MON#2": true, "0 22-2 * * *": true, "0 0 * * FRI-MON": true, "60 * * * *": false,
		"0 0 0 * *": false, "0 0 * 13 *": false, "0 0 * * 8": false, "0 0 * * 7": true,
		"@daily": true, "@hourly": true, "@every 5m": false, "* * * *": false, "* * * * * *": false,
		"a b c d e": false, "0 0 1-31/2 * *": true, "0 0 ? * *": true, "0 0 * * ?": true,
		"5/10 * * * *": true, "0 0 * jan-mar *": true, "0 0 * * mon,wed": true, "1-2-3 * * * *": false,
		"*/0 * * * *": false, " 0 0 * * * ": true, "0 0 LW * *": false, "0 0 15W * *": false,
		"0 0 * * L": false, "0 0 * * 1#6": false, "0 0 * * 1#5": true, "@reboot": false,
		"H * * * *": false, "0-59/5 * * * *": true, "0 0 31 2 *": true, "0 0 * * 0-7": true,
		"0 0 * * sun-sat": true, "0 0 1,15 * *": true, "0 0 */2 */3 *": true, "0 9-17/2 * * 1-5": true,
		"0 0 * * 1-5/2": true, "0 0 3-1 * *": true, "0 0 * dec-feb *": true, "0 0 * * 7-1": true,
		"0 0 * * MON#0": false, "0,  0 * * *": false, "0 0 * * *,": false,
	}
	for expr, valid := range cases {
		msg := CheckCron(expr)
		if (msg == "") != valid {
			t.Errorf("CheckCron(%q) = %q, want valid=%v", expr, msg, valid)
		}
	}
}

func TestCheckRRule(t *testing.T) {
	cases := map[string]bool{
		"FREQ=DAILY": true, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9": true,
		"DTSTART:20260101T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1": true,
		"FREQ=MONTHLY;BYDAY=1MO,-1FR":                               true, "FREQ=YEARLY;COUNT=3;UNTIL=20300101": false,
		"FREQ=FORTNIGHTLY": false, "BYDAY=MO": false, "FREQ=DAILY;BYHOUR=24": false,
		"FREQ=DAILY;INTERVAL=0": false, "FREQ=DAILY;FREQ=WEEKLY": false, "FREQ=DAILY;FOO=1": false,
		"": false, "FREQ=WEEKLY;WKST=XX": false, "FREQ=DAILY;UNTIL=20301231T235959Z": true,
	}
	for rule, valid := range cases {
		msg := CheckRRule(rule)
		if (msg == "") != valid {
			t.Errorf("CheckRRule(%q) = %q, want valid=%v", rule, msg, valid)
		}
	}
}

func TestQuantities(t *testing.T) {
	for s, want := range map[string]bool{"512Mi": true, "1Gi": true, "1G": true, "512m": true, "1073741824": true, "0": false, "lots": false, "1.5Gi": true, "-1Gi": false} {
		if ValidMemory(s) != want {
			t.Errorf("ValidMemory(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"0.5": true, "2": true, "500m": true, "1.0": true, "0": false, "half": false, "1.5m": false} {
		if ValidCPU(s) != want {
			t.Errorf("ValidCPU(%q) = %v", s, !want)
		}
	}
	if !ValidTimezone("Europe/Amsterdam") || !ValidTimezone("UTC") || ValidTimezone("Mars/Olympus") {
		t.Error("time zones")
	}
}

func TestPlaceholders(t *testing.T) {
	lookup := func(n string) (any, bool) {
		switch n {
		case "flow.name":
			return "rpa1", true
		case "environment.default_parameters":
			return map[string]any{"a": true}, true
		}
		return nil, false
	}
	cases := []struct {
		in   string
		want any
		err  bool
	}{
		{"{flow.name}-worker:latest", "rpa1-worker:latest", false},
		{"{environment.default_parameters}", map[string]any{"a": true}, false},
		{"x:{{ $GIT_SHA }}", "x:{{ $GIT_SHA }}", false},
		{"{flow.name}:{{ $TAG }}", "rpa1:{{ $TAG }}", false},
		{"{{flow.name}}", "{{flow.name}}", false},
		{"{nope}", nil, true},
		{"no placeholders", "no placeholders", false},
	}
	for _, c := range cases {
		got, err := Expand(c.in, lookup)
		if (err != nil) != c.err {
			t.Errorf("Expand(%q) error %v", c.in, err)
			continue
		}
		if !c.err && fmtAny(got) != fmtAny(c.want) {
			t.Errorf("Expand(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "map" + fmtAny(len(x))
	case int:
		return string(rune('0' + x))
	}
	s, _ := v.(string)
	return s
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
