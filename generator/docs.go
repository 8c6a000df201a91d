package generator

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
)

type docDeployment struct {
	model.DeploymentConfig
	ScheduleText []string
	MakeTarget   string
	// PrefectName is what plain prefect deploy -n selects this entry alone
	// by, "" when another entry answers to it too.
	PrefectName string
}

// plainEnv is how plain prefect deploy applies one environment of
// prefect.yaml: -n with a bare deployment name selects that name in every
// flow.
type plainEnv struct {
	Name string
	// Command is the prefect deploy command line, "" when another
	// environment shares a name (Shared).
	Command string
	Shared  []string
	// Images and Commit: the environment's deployments read
	// {{ $PREFECTGEN_IMAGE_TAG }} and {{ $PREFECTGEN_COMMIT }}.
	Images, Commit bool
}

type docFlow struct {
	discover.FlowMetadata
	Anchor       string
	Dockerfile   string
	Requirements []string
	Deployments  []docDeployment
}

type docData struct {
	Sources      string
	Environments []makeEnv
	Plain        []plainEnv
	Flows        []docFlow
	Skipped      []SkippedFlow
	Codes        []diag.CodeInfo
}

var anchorStrip = regexp.MustCompile(`[^\p{L}\p{N} _-]+`)

// anchor is the id GitHub gives a Markdown heading.
func anchor(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ").Replace(s)
	s = anchorStrip.ReplaceAllString(strings.ToLower(s), "")
	return strings.ReplaceAll(s, " ", "-")
}

// docs renders docs/deployments.md.
func (g *gen) docs() error {
	m := g.p.Manager()
	data := docData{Sources: g.sources(), Skipped: m.Skipped, Codes: diag.Codes()}
	for _, e := range m.EnvironmentNames() {
		data.Environments = append(data.Environments, makeEnv{Name: e})
	}
	plain, err := plainEnvs(m.EnvironmentNames(), g.out.Deployments)
	if err != nil {
		return err
	}
	data.Plain = plain
	prefectNames := map[string]int{}
	for _, d := range g.out.Deployments {
		prefectNames[prefectName(d)]++
	}
	anchors := map[string]int{}
	for _, f := range m.Flows {
		df := docFlow{FlowMetadata: f, Dockerfile: g.images[f.Entrypoint], Requirements: f.RequirementsFiles}
		a := anchor(f.Name)
		if n := anchors[a]; n > 0 {
			df.Anchor = fmt.Sprintf("%s-%d", a, n)
		} else {
			df.Anchor = a
		}
		anchors[a]++
		for _, d := range g.out.Deployments {
			if d.Entrypoint != f.Entrypoint {
				continue
			}
			dd := docDeployment{DeploymentConfig: d}
			if n := prefectName(d); prefectNames[n] == 1 {
				dd.PrefectName = n
			}
			if t, ok := g.deployTargets[f.Entrypoint]; ok {
				dd.MakeTarget = "make " + t + " ENV=" + d.Environment
			} else {
				dd.MakeTarget = "prefectgen deploy --env " + d.Environment + " --flow NAME"
			}
			for _, s := range d.Schedules {
				dd.ScheduleText = append(dd.ScheduleText, ScheduleWords(s))
			}
			df.Deployments = append(df.Deployments, dd)
		}
		data.Flows = append(data.Flows, df)
	}
	content, err := g.tm.render("deployments.md.tmpl", data)
	if err != nil {
		return err
	}
	return g.own(DocsFile, content)
}

// prefectName is the FUNCTION/DEPLOYMENT name prefect deploy -n matches
// an entry by: the entrypoint's function, not the flow's name.
func prefectName(d model.DeploymentConfig) string {
	fn := d.Entrypoint[strings.LastIndex(d.Entrypoint, ":")+1:]
	return fn + "/" + d.DeploymentName
}

// plainEnvs says, per environment, how plain prefect deploy applies its
// deployments of prefect.yaml alone.
func plainEnvs(envs []string, deps []model.DeploymentConfig) ([]plainEnv, error) {
	envsOf := map[string][]string{}
	for _, d := range deps {
		if !slices.Contains(envsOf[d.DeploymentName], d.Environment) {
			envsOf[d.DeploymentName] = append(envsOf[d.DeploymentName], d.Environment)
		}
	}
	var out []plainEnv
	for _, e := range envs {
		pe := plainEnv{Name: e}
		var names []string
		for _, d := range deps {
			if d.Environment != e {
				continue
			}
			pe.Images = pe.Images || d.Image != ""
			pe.Commit = pe.Commit || d.Git != nil
			if !slices.Contains(names, d.DeploymentName) {
				names = append(names, d.DeploymentName)
			}
			if len(envsOf[d.DeploymentName]) > 1 && !slices.Contains(pe.Shared, d.DeploymentName) {
				pe.Shared = append(pe.Shared, d.DeploymentName)
			}
		}
		if len(names) == 0 {
			continue
		}
		if len(pe.Shared) == 0 {
			args := []string{"prefect", "--no-prompt", "deploy"}
			for _, n := range names {
				q, err := shellArg(n)
				if err != nil {
					return nil, fmt.Errorf("deployment name %w", err)
				}
				args = append(args, "-n", q)
			}
			pe.Command = strings.Join(args, " ")
		}
		out = append(out, pe)
	}
	return out, nil
}

// ScheduleWords describes a schedule in words, then as written.
func ScheduleWords(s model.Schedule) string {
	var words, written string
	switch {
	case s.Cron != "":
		words, written = CronWords(s.Cron), "cron "+s.Cron
	case s.Interval != nil:
		words, written = "every "+durationWords(*s.Interval), fmt.Sprintf("interval %gs", *s.Interval)
	case s.RRule != "":
		words, written = rruleWords(s.RRule), "rrule "+s.RRule
	}
	tz := s.Timezone
	if tz == "" {
		tz = "UTC"
	}
	out := fmt.Sprintf("%s (%s), %s", words, written, tz)
	if !s.Active {
		out += ", inactive"
	}
	return out
}

func durationWords(sec float64) string {
	units := []struct {
		n    float64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}}
	for _, u := range units {
		if sec >= u.n && sec == float64(int64(sec/u.n))*u.n {
			n := int64(sec / u.n)
			if n == 1 {
				return u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return fmt.Sprintf("%g seconds", sec)
}

var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
var monthNames = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var cronMacroWords = map[string]string{
	"@yearly": "every year on January 1 at 00:00", "@annually": "every year on January 1 at 00:00",
	"@monthly": "on day 1 of every month at 00:00", "@weekly": "every Sunday at 00:00",
	"@daily": "every day at 00:00", "@midnight": "every day at 00:00", "@hourly": "every hour at minute 0",
}

// CronWords describes the common shapes of a cron expression in words,
// and says "on the cron schedule" for the others.
func CronWords(expr string) string {
	e := strings.TrimSpace(expr)
	if w, ok := cronMacroWords[strings.ToLower(e)]; ok {
		return w
	}
	f := strings.Fields(e)
	if len(f) != 5 {
		return "on the cron schedule"
	}
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	var when string
	mi, errM := strconv.Atoi(minute)
	ho, errH := strconv.Atoi(hour)
	switch {
	case errM == nil && errH == nil:
		when = fmt.Sprintf("at %02d:%02d", ho, mi)
	case errM == nil && hour == "*":
		when = fmt.Sprintf("every hour at minute %d", mi)
	case minute == "*" && hour == "*":
		when = "every minute"
	case strings.HasPrefix(minute, "*/") && hour == "*":
		when = "every " + minute[2:] + " minutes"
	case errM == nil && strings.HasPrefix(hour, "*/"):
		when = fmt.Sprintf("every %s hours at minute %d", hour[2:], mi)
	case errM == nil && strings.Contains(hour, "-") && !strings.Contains(hour, "/"):
		when = fmt.Sprintf("at minute %d of hours %s", mi, hour)
	case errM == nil && strings.Contains(hour, ","):
		when = fmt.Sprintf("at minute %d of hours %s", mi, hour)
	default:
		return "on the cron schedule"
	}
	var days string
	switch {
	case dom == "*" || dom == "?":
		if dow == "*" || dow == "?" {
			days = "every day"
		} else if w := dowWords(dow); w != "" {
			days = "on " + w
		} else {
			return "on the cron schedule"
		}
	case dow == "*" || dow == "?":
		if dom == "L" {
			days = "on the last day of the month"
		} else if _, err := strconv.Atoi(dom); err == nil {
			days = "on day " + dom + " of the month"
		} else {
			days = "on days " + dom + " of the month"
		}
	default:
		return "on the cron schedule"
	}
	if month != "*" {
		if n, err := strconv.Atoi(month); err == nil && n >= 1 && n <= 12 {
			days += " in " + monthNames[n]
		} else {
			days += " in months " + month
		}
	}
	return days + " " + when
}

func dowWords(dow string) string {
	name := func(s string) string {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
			return dayNames[n]
		}
		for i, d := range dayNames[:7] {
			if strings.EqualFold(s, d[:3]) {
				return dayNames[i]
			}
		}
		return ""
	}
	var parts []string
	for _, item := range strings.Split(dow, ",") {
		if lo, hi, ok := strings.Cut(item, "-"); ok {
			a, b := name(lo), name(hi)
			if a == "" || b == "" {
				return ""
			}
			parts = append(parts, a+" through "+b)
			continue
		}
		n := name(item)
		if n == "" {
			return ""
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, ", ")
}

func rruleWords(rule string) string {
	body := rule
	for _, l := range strings.Split(rule, "\n") {
		if strings.HasPrefix(strings.ToUpper(l), "RRULE:") {
			body = l[6:]
		} else if !strings.Contains(l, ":") {
			body = l
		}
	}
	kv := map[string]string{}
	for _, p := range strings.Split(body, ";") {
		if k, v, ok := strings.Cut(p, "="); ok {
			kv[strings.ToUpper(k)] = v
		}
	}
	freq := map[string]string{"YEARLY": "year", "MONTHLY": "month", "WEEKLY": "week", "DAILY": "day", "HOURLY": "hour", "MINUTELY": "minute", "SECONDLY": "second"}[strings.ToUpper(kv["FREQ"])]
	if freq == "" {
		return "on the recurrence rule"
	}
	out := "every " + freq
	if n, err := strconv.Atoi(kv["INTERVAL"]); err == nil && n > 1 {
		out = fmt.Sprintf("every %d %ss", n, freq)
	}
	if d := kv["BYDAY"]; d != "" {
		var names []string
		for _, x := range strings.Split(d, ",") {
			x = strings.ToUpper(x)
			for _, dn := range dayNames[:7] {
				if strings.HasSuffix(x, strings.ToUpper(dn[:2])) {
					prefix := strings.TrimSuffix(x, strings.ToUpper(dn[:2]))
					if prefix != "" {
						names = append(names, prefix+" "+dn)
					} else {
						names = append(names, dn)
					}
				}
			}
		}
		out += " on " + strings.Join(names, ", ")
	}
	if h := kv["BYHOUR"]; h != "" {
		m := kv["BYMINUTE"]
		if m == "" {
			m = "0"
		}
		if hi, err1 := strconv.Atoi(h); err1 == nil {
			if mi, err2 := strconv.Atoi(m); err2 == nil {
				out += fmt.Sprintf(" at %02d:%02d", hi, mi)
			}
		} else {
			out += " at hours " + h
		}
	}
	return out
}
