package generator

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
)

// Adoption is what prefectgen init takes over from a hand-written
// prefect.yaml: per flow the settings that give the deployment it held,
// under the same name, and the environment's work pool and code location.
type Adoption struct {
	// Flows are the adopted deployments, in the file's order, one per flow.
	Flows []AdoptedFlow
	// Pool is the work pool most adopted deployments use: the
	// environment's python pool.
	Pool string
	// CodeDir and Git are where the adopted deployments' pull steps find
	// the code: process.code_dir, or process.git.
	CodeDir string
	Git     *model.Git
	// HandWritten are the flows (by entrypoint) whose deployment stays in
	// prefect.yaml, not adopted, with its line: their entry gets deploy:
	// false, so that generate does not add a second deployment.
	HandWritten map[string]int
	// Problems say what was not adopted, each at its line of prefect.yaml.
	Problems []diag.ValidationError
	// Rest is prefect.yaml without the adopted deployments, nil when
	// nothing was adopted or they cannot be taken out safely (RestReason
	// says why).
	Rest       []byte
	RestReason string
}

// HandWrittenAt is the line of the deployment that stays in prefect.yaml
// for the flow at entrypoint, if any.
func (a *Adoption) HandWrittenAt(entrypoint string) (int, bool) {
	if a == nil {
		return 0, false
	}
	line, ok := a.HandWritten[entrypoint]
	return line, ok
}

// AdoptedFlow is one adopted deployment.
type AdoptedFlow struct {
	Flow *discover.FlowMetadata
	// Line is where the deployment starts in prefect.yaml.
	Line int
	// Settings are the flow's entry in deployment_config.yaml, in the
	// order they are written: key and value.
	Settings []Setting
}

// Setting is one key of a flow's entry.
type Setting struct {
	Key   string
	Value any
}

// stepName is a pull step prefectgen adopts.
var stepName = regexp.MustCompile(`^prefect\.deployments\.steps\.(pull\.)?(set_working_directory|git_clone)$`)

// Adopt reads a hand-written prefect.yaml and turns every deployment it
// can express into flows: settings of deployment_config.yaml. Every
// deployment, key or step it cannot express is reported at its line as
// PREFECT_YAML_NOT_ADOPTED. Entries between prefectgen's markers are
// prefectgen's own and are skipped.
func Adopt(data []byte, flows []discover.FlowMetadata) (*Adoption, error) {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", PrefectFile, err)
	}
	a := &Adoption{HandWritten: map[string]int{}}
	if len(doc.Content) == 0 {
		return a, nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yamlv3.MappingNode {
		return nil, fmt.Errorf("%s is not a mapping", PrefectFile)
	}
	mk, err := findMarkers(yamlLines(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PrefectFile, err)
	}
	report := func(n *yamlv3.Node, format string, args ...any) {
		a.Problems = append(a.Problems, diag.New(diag.PrefectYAMLNotAdopted, diag.Pos{File: PrefectFile, Line: n.Line, Column: n.Column}, fmt.Sprintf(format, args...)))
	}
	var deployments, topPull *yamlv3.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		switch k.Value {
		case "deployments":
			deployments = v
		case "pull":
			topPull = v
		case "build", "push":
			if v.Kind != yamlv3.ScalarNode || v.Tag != "!!null" {
				if v.Kind == yamlv3.SequenceNode && len(v.Content) == 0 {
					continue
				}
				report(k, "the %s section (%s) is not adopted: prefectgen builds images with the docker tool; it stays in %s, where plain 'prefect deploy' still runs it for every deployment of the file", k.Value, stepNames(v), PrefectFile)
			}
		}
	}
	if deployments == nil || deployments.Kind != yamlv3.SequenceNode {
		return a, nil
	}
	byEntrypoint := map[string]*discover.FlowMetadata{}
	for i := range flows {
		f := &flows[i]
		byEntrypoint[f.Entrypoint] = f
		if f.ModulePath != "" {
			byEntrypoint[f.ModulePath+"."+f.FunctionName] = f
		}
	}
	adoptedLine := map[string]int{}
	pools := map[string]int{}
	var poolOrder []string
	var adoptedItems []int
	type place struct {
		codeDir string
		git     *model.Git
		node    *yamlv3.Node
	}
	var places []place
	for idx, raw := range deployments.Content {
		item := resolve(raw)
		if mk.contains(raw.Line) {
			continue
		}
		if item.Kind != yamlv3.MappingNode {
			report(raw, "a deployment that is not a mapping is not adopted")
			continue
		}
		keys := mapping(item)
		name := scalar(keys["name"])
		if name == "" {
			report(item, "a deployment without a name is not adopted (prefect deploy skips it too)")
			continue
		}
		ep := strings.TrimPrefix(scalar(keys["entrypoint"]), "./")
		f := byEntrypoint[ep]
		if f == nil {
			report(item, "deployment %q is not adopted: its entrypoint %q is not a flow prefectgen discovered", name, ep)
			continue
		}
		if prev, ok := adoptedLine[f.Name]; ok {
			report(item, "deployment %q of flow %q is not adopted: prefectgen makes one deployment per flow, environment and type, and the flow's deployment at line %d was adopted", name, f.Name, prev)
			continue
		}
		if jv := keys["work_pool"]; jv != nil {
			if img := mapping(resolve(jv))["job_variables"]; img != nil && mapping(resolve(img))["image"] != nil {
				report(item, "deployment %q is not adopted: it runs in an image (job_variables.image), and prefectgen builds the images of its docker deployments from the flow's Dockerfile; it stays in %s, and its flow gets deploy: false", name, PrefectFile)
				if _, ok := a.HandWritten[f.Entrypoint]; !ok {
					a.HandWritten[f.Entrypoint] = item.Line
				}
				continue
			}
		}
		// A deployment prefectgen cannot take over as it is deployed stays
		// in prefect.yaml, and its flow gets deploy: false.
		hold := func(at *yamlv3.Node, format string, args ...any) {
			report(at, format+"; it stays in %s, and its flow gets deploy: false", append(args, PrefectFile)...)
			if _, ok := a.HandWritten[f.Entrypoint]; !ok {
				a.HandWritten[f.Entrypoint] = item.Line
			}
		}
		if strings.ContainsAny(name, "\r\n") {
			hold(keys["name"], "deployment %q is not adopted: its name has a line break, which prefectgen's files cannot hold", name)
			continue
		}
		schedNodes := []*yamlv3.Node{}
		if n := keys["schedules"]; n != nil && resolve(n).Kind == yamlv3.SequenceNode {
			schedNodes = resolve(n).Content
		}
		if n := keys["schedule"]; n != nil && resolve(n).Kind == yamlv3.MappingNode && len(resolve(n).Content) > 0 {
			schedNodes = append(schedNodes, n)
		}
		// Whether the deployment is paused and its schedules active must be
		// read as Prefect reads them: a guess could unpause a deployment or
		// activate a schedule on takeover.
		unreadable := func(n *yamlv3.Node) bool {
			if n == nil {
				return false
			}
			_, _, ok := laxBool(n)
			return !ok || isTemplate(n)
		}
		if n := keys["paused"]; unreadable(n) {
			hold(resolve(n), "deployment %q is not adopted: its paused %s is not true or false as Prefect reads it (a template is resolved only by prefect deploy), and prefectgen does not guess whether it is paused", name, show(n))
			continue
		}
		held := false
		for _, sn := range schedNodes {
			if n := mapping(resolve(sn))["active"]; unreadable(n) {
				hold(resolve(n), "deployment %q is not adopted: its schedule's active %s is not true or false as Prefect reads it (a template is resolved only by prefect deploy), and prefectgen does not guess whether the schedule is active", name, show(n))
				held = true
				break
			}
		}
		if held {
			continue
		}
		af := AdoptedFlow{Flow: f, Line: item.Line}
		set := func(k string, v any) { af.Settings = append(af.Settings, Setting{k, v}) }
		set("deployment_name", name)
		set("types", []any{"python"})
		if len(f.CalledBy) > 0 {
			set("deploy", true)
		}
		for _, k := range []string{"description", "version"} {
			if n := keys[k]; n != nil && scalar(n) != "" {
				set(k, scalar(n))
			}
		}
		if keys["description"] == nil && f.Description == "" {
			// Prefect stores no description for a flow without a
			// docstring; prefectgen would write one.
			set("description", "")
		}
		if n := keys["tags"]; n != nil {
			var tags []any
			if err := resolve(n).Decode(&tags); err != nil {
				var one string
				if resolve(n).Decode(&one) == nil && one != "" {
					tags = []any{one}
				}
			}
			if len(tags) > 0 {
				set("tags", tags)
			}
		}
		if n := keys["parameters"]; n != nil {
			var p map[string]any
			if err := resolve(n).Decode(&p); err == nil && len(p) > 0 {
				set("parameters", p)
			}
		}
		var scheds []any
		for _, sn := range schedNodes {
			if s := adoptSchedule(resolve(sn), report); s != nil {
				scheds = append(scheds, s)
			}
		}
		if len(scheds) > 0 {
			set("schedules", scheds)
		}
		if n := keys["work_pool"]; n != nil {
			wp := mapping(resolve(n))
			if pool := scalar(wp["name"]); pool != "" {
				if pools[pool] == 0 {
					poolOrder = append(poolOrder, pool)
				}
				pools[pool]++
				set("work_pool", pool)
			}
			if q := scalar(wp["work_queue_name"]); q != "" {
				set("work_queue", q)
			}
			if jn := wp["job_variables"]; jn != nil {
				var jv map[string]any
				if err := resolve(jn).Decode(&jv); err == nil && len(jv) > 0 {
					set("job_variables", jv)
				}
			}
			for _, kv := range keyNodes(resolve(n)) {
				k, kn := kv.key, kv.node
				if k != "name" && k != "work_queue_name" && k != "job_variables" {
					report(kn, "work_pool.%s of deployment %q is not adopted: Prefect ignores it too", k, name)
				}
			}
		}
		if n := keys["concurrency_limit"]; n != nil {
			cn := resolve(n)
			switch cn.Kind {
			case yamlv3.ScalarNode:
				if v, err := strconv.Atoi(cn.Value); err == nil {
					set("concurrency_limit", v)
				}
			case yamlv3.MappingNode:
				cl := mapping(cn)
				if v, err := strconv.Atoi(scalar(cl["limit"])); err == nil {
					set("concurrency_limit", v)
				}
				for _, kv := range keyNodes(cn) {
					k, kn := kv.key, kv.node
					if k != "limit" {
						report(kn, "concurrency_limit.%s of deployment %q is not adopted: prefectgen sets the limit alone (the server's default collision strategy, ENQUEUE)", k, name)
					}
				}
			}
		}
		for _, k := range []string{"paused", "enforce_parameter_schema"} {
			n := keys[k]
			if n == nil {
				continue
			}
			b, isSet, ok := laxBool(n)
			switch {
			case !ok || isTemplate(n):
				report(resolve(n), "%s %s of deployment %q is not adopted: it is not true or false as Prefect reads it (a template is resolved only by prefect deploy)", k, show(n), name)
			case isSet:
				set(k, b)
			}
		}
		// The pull steps: the deployment's own, else the file's.
		pull, pullNode := keys["pull"], keys["pull"]
		if pull == nil || resolve(pull).Tag == "!!null" {
			pull, pullNode = topPull, topPull
		}
		p := place{node: item}
		switch {
		case pull == nil || resolve(pull).Tag == "!!null":
			report(item, "deployment %q has no pull step: prefect deploy gave it the folder it ran in; prefectgen's process deployments start in process.code_dir (%q, the worker's folder)", name, ".")
			p.codeDir = "."
		default:
			p.codeDir, p.git = adoptPull(resolve(pull), pullNode, name, report)
		}
		places = append(places, p)
		for _, kv := range keyNodes(item) {
			k, kn := kv.key, kv.node
			switch k {
			case "name", "entrypoint", "description", "version", "tags", "parameters", "schedules", "schedule",
				"work_pool", "concurrency_limit", "paused", "enforce_parameter_schema", "pull", "flow_name":
			case "build", "push":
				if v := resolve(keys[k]); v.Tag != "!!null" && len(v.Content) > 0 {
					report(kn, "the %s steps of deployment %q (%s) are not adopted: prefectgen builds images with the docker tool", k, name, stepNames(v))
				}
			case "triggers", "sla":
				report(kn, "key %s of deployment %q is not adopted: prefectgen does not manage triggers or SLAs; create them with 'prefect automation' or in the UI", k, name)
			case "version_type":
				report(kn, "version_type of deployment %q is not adopted: prefectgen sets version alone", name)
			default:
				report(kn, "key %q of deployment %q is not adopted: Prefect ignores it too", k, name)
			}
		}
		adoptedLine[f.Name] = item.Line
		adoptedItems = append(adoptedItems, idx)
		a.Flows = append(a.Flows, af)
	}
	for ep := range a.HandWritten {
		for _, af := range a.Flows {
			if af.Flow.Entrypoint == ep {
				delete(a.HandWritten, ep)
			}
		}
	}
	// The environment's pool: the most used, the first on a tie; a flow on
	// it needs no work_pool of its own.
	for _, p := range poolOrder {
		if pools[p] > pools[a.Pool] {
			a.Pool = p
		}
	}
	for i := range a.Flows {
		a.Flows[i].Settings = slices.DeleteFunc(a.Flows[i].Settings, func(s Setting) bool { return s.Key == "work_pool" && s.Value == a.Pool })
	}
	// The code's location is the environment's: the first adopted
	// deployment's; the others with another are reported (those whose
	// pull steps were not adopted were reported already).
	a.CodeDir = "."
	var firstPlace *place
	for i, p := range places {
		if p.codeDir == "" && p.git == nil {
			continue
		}
		if firstPlace == nil {
			firstPlace = &places[i]
			a.CodeDir, a.Git = p.codeDir, p.git
			continue
		}
		if p.codeDir != firstPlace.codeDir || !reflect.DeepEqual(p.git, firstPlace.git) {
			report(p.node, "the pull step of deployment %q differs from that of the deployment at line %d, which sets process.code_dir or process.git for the environment: this deployment's runs will find the code there", scalar(mapping(p.node)["name"]), firstPlace.node.Line)
		}
	}
	if len(adoptedItems) > 0 {
		a.Rest, a.RestReason = without(data, deployments, adoptedItems)
	}
	return a, nil
}

// adoptSchedule converts one schedule; nil when it cannot.
func adoptSchedule(n *yamlv3.Node, report func(*yamlv3.Node, string, ...any)) map[string]any {
	if n.Kind != yamlv3.MappingNode {
		report(n, "a schedule that is not a mapping is not adopted")
		return nil
	}
	out := map[string]any{}
	for _, kv := range keyNodes(n) {
		k, kn := kv.key, kv.node
		v := resolve(mapping(n)[k])
		if v.Kind == yamlv3.ScalarNode && v.Tag == "!!null" {
			// Prefect reads a null as unset.
			continue
		}
		switch k {
		case "cron", "rrule", "timezone", "anchor_date", "slug":
			if v.Kind != yamlv3.ScalarNode {
				report(v, "a schedule's %s that is not a string is not adopted", k)
				return nil
			}
			if v.Value != "" {
				out[k] = v.Value
			}
		case "interval":
			secs, ok := intervalSeconds(v)
			if !ok {
				report(v, "a schedule with interval %q is not adopted: not seconds, an ISO 8601 duration or HH:MM:SS", v.Value)
				return nil
			}
			out[k] = secs
		case "active", "day_or":
			// An active that cannot be read keeps its deployment from
			// being adopted (Adopt checks it first).
			b, _, ok := laxBool(v)
			if !ok || isTemplate(v) {
				report(v, "a schedule's %s %s is not adopted (it is not true or false as Prefect reads it): the schedule is adopted without it", k, show(v))
				continue
			}
			out[k] = b
		case "parameters":
			var p map[string]any
			if v.Decode(&p) == nil && len(p) > 0 {
				out[k] = p
			}
		default:
			report(kn, "schedule key %q is not adopted", k)
		}
	}
	if out["cron"] == nil && out["interval"] == nil && out["rrule"] == nil {
		report(n, "a schedule without a cron, interval or rrule is not adopted (prefect deploy rejects it too)")
		return nil
	}
	return out
}

// laxBool reads a boolean as Prefect does (pydantic's lax mode): true,
// 1 or one of the strings "1", "true", "t", "yes", "y", "on" in any case
// is true; false, 0 and "0", "false", "f", "no", "n", "off" are false.
// A null is unset (isSet false); ok is false for anything else.
func laxBool(n *yamlv3.Node) (val, isSet, ok bool) {
	n = resolve(n)
	if n == nil || n.Kind != yamlv3.ScalarNode {
		return false, false, false
	}
	switch {
	case n.Tag == "!!null":
		return false, false, true
	case n.Tag == "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b, true, true
		}
	case n.Tag == "!!int":
		var i int64
		if n.Decode(&i) == nil && (i == 0 || i == 1) {
			return i == 1, true, true
		}
		return false, false, false
	case n.Tag == "!!float" && strings.Contains(n.Value, "."):
		// PyYAML reads a float only with a dot; pydantic takes 0.0 and 1.0.
		var f float64
		if n.Decode(&f) == nil && (f == 0 || f == 1) {
			return f == 1, true, true
		}
		return false, false, false
	}
	switch strings.ToLower(n.Value) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true, true
	}
	return false, false, false
}

// isTemplate is whether a scalar holds a Prefect template ({{ ... }}),
// which only prefect deploy resolves.
func isTemplate(n *yamlv3.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yamlv3.ScalarNode && strings.Contains(n.Value, "{{")
}

// show is a value for a report: a scalar quoted, another node by kind.
func show(n *yamlv3.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yamlv3.ScalarNode:
		return strconv.Quote(n.Value)
	case yamlv3.MappingNode:
		return "(a mapping)"
	case yamlv3.SequenceNode:
		return "(a list)"
	}
	return "(no value)"
}

// maxLines is how many line numbers a message lists; LineList says how
// many more there are.
const maxLines = 10

// LineList names lines for a message: "line 3", "lines 3, 9", or, for
// many, the first ten and "and N more".
func LineList(lines []int) string {
	if len(lines) == 0 {
		return ""
	}
	var nums []string
	for _, l := range lines[:min(len(lines), maxLines)] {
		nums = append(nums, strconv.Itoa(l))
	}
	if len(lines) == 1 {
		return "line " + nums[0]
	}
	s := "lines " + strings.Join(nums, ", ")
	if len(lines) > maxLines {
		s += fmt.Sprintf(" and %d more", len(lines)-maxLines)
	}
	return s
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)
var clockDuration = regexp.MustCompile(`^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$`)

// intervalSeconds reads an interval as Prefect does: seconds, an ISO 8601
// duration (PT10M) or HH:MM:SS.
func intervalSeconds(n *yamlv3.Node) (any, bool) {
	s := strings.TrimSpace(n.Value)
	if i, err := strconv.Atoi(s); err == nil && i > 0 {
		return i, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
		return f, true
	}
	var parts []string
	var units []float64
	if m := isoDuration.FindStringSubmatch(s); m != nil && s != "P" && !strings.HasSuffix(s, "T") {
		parts, units = m[1:], []float64{86400, 3600, 60, 1}
	} else if m := clockDuration.FindStringSubmatch(s); m != nil {
		parts, units = m[1:], []float64{3600, 60, 1}
	} else {
		return nil, false
	}
	total := 0.0
	for i, p := range parts {
		if p != "" {
			f, _ := strconv.ParseFloat(p, 64)
			total += f * units[i]
		}
	}
	if total <= 0 {
		return nil, false
	}
	if total == float64(int(total)) {
		return int(total), true
	}
	return total, true
}

// adoptPull maps pull steps to a code directory or a git repository; ""
// and nil with a report when they mean something else.
func adoptPull(n, at *yamlv3.Node, name string, report func(*yamlv3.Node, string, ...any)) (string, *model.Git) {
	if n.Kind == yamlv3.MappingNode {
		n = &yamlv3.Node{Kind: yamlv3.SequenceNode, Content: []*yamlv3.Node{n}, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yamlv3.SequenceNode || len(n.Content) == 0 {
		report(at, "deployment %q has no pull steps: its runs start in the worker's folder, as process.code_dir \".\" does", name)
		return ".", nil
	}
	if len(n.Content) > 1 {
		report(at, "the pull steps of deployment %q (%s) are not adopted: prefectgen's process deployments have one step, a set_working_directory or a git_clone", name, stepNames(n))
		return "", nil
	}
	step := resolve(n.Content[0])
	if step.Kind != yamlv3.MappingNode || len(step.Content) != 2 || !stepName.MatchString(step.Content[0].Value) {
		report(step, "the pull step %s of deployment %q is not adopted: prefectgen's process deployments have one step, a set_working_directory or a git_clone", stepNames(n), name)
		return "", nil
	}
	kind := stepName.FindStringSubmatch(step.Content[0].Value)[2]
	args := resolve(step.Content[1])
	am := mapping(args)
	for _, kv := range keyNodes(args) {
		k, kn := kv.key, kv.node
		switch {
		case kind == "set_working_directory" && k == "directory":
		case kind == "git_clone" && (k == "repository" || k == "credentials"):
		case kind == "git_clone" && k == "branch":
			report(kn, "git_clone's branch %q of deployment %q is not adopted: prefectgen's runs clone the commit prefectgen deploy deployed", scalar(am[k]), name)
		default:
			report(kn, "%s's %s of deployment %q is not adopted", kind, k, name)
		}
	}
	if kind == "git_clone" {
		repo := scalar(am["repository"])
		if repo == "" {
			report(step, "the git_clone step of deployment %q has no repository and is not adopted", name)
			return "", nil
		}
		return "", &model.Git{Repository: repo, Credentials: scalar(am["credentials"])}
	}
	dir := scalar(am["directory"])
	if dir != "." && !strings.HasPrefix(dir, "/") {
		report(step, "set_working_directory %q of deployment %q is not adopted: process.code_dir is \".\" (the worker's folder) or an absolute path", dir, name)
		return "", nil
	}
	return dir, nil
}

// without is prefect.yaml with the deployments at the given indexes of
// the list taken out, every other byte kept; nil and why when that cannot
// be done safely (a flow-style list, or entries that would change).
func without(data []byte, list *yamlv3.Node, drop []int) ([]byte, string) {
	if list.Style&yamlv3.FlowStyle != 0 {
		return nil, "its deployments list is written inline"
	}
	lines := yamlLines(data)
	// An item runs from the comment lines right above it to the line
	// before the next item's, or, for the last, to the list's end: the
	// next top-level key, less the blank lines and comments that lead it.
	start := func(i int) int {
		l := list.Content[i].Line - 1
		for l > 0 && strings.HasPrefix(strings.TrimSpace(lines[l-1]), "#") && (i == 0 || l-1 > list.Content[i-1].Line-1) {
			l--
		}
		return l
	}
	first := func(i int) int { return list.Content[i].Line - 1 }
	end := len(lines)
	last := first(len(list.Content) - 1)
	for i := last + 1; i < len(lines); i++ {
		if topLevelKey.MatchString(lines[i]) {
			end = i
			break
		}
	}
	for end > last+1 && (strings.HasPrefix(lines[end-1], "#") || strings.TrimSpace(lines[end-1]) == "") {
		end--
	}
	cut := make([]bool, len(lines))
	for _, i := range drop {
		stop := end
		if i+1 < len(list.Content) {
			stop = start(i + 1)
		}
		if !itemIndent.MatchString(lines[first(i)]) {
			return nil, fmt.Sprintf("the deployment at line %d does not start a line with \"- \"", first(i)+1)
		}
		for l := start(i); l < stop; l++ {
			cut[l] = true
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if !cut[i] {
			b.WriteString(l)
		}
	}
	rest := []byte(b.String())
	// What is left must decode to what it held: the other keys and the
	// deployments that were not adopted.
	var before, after map[string]any
	if yamlv3.Unmarshal(data, &before) != nil || yamlv3.Unmarshal(rest, &after) != nil {
		return nil, "taking them out leaves a file that does not parse: an anchor of an adopted deployment used by one that stays?"
	}
	for k, v := range before {
		if k != "deployments" && !reflect.DeepEqual(v, after[k]) {
			return nil, fmt.Sprintf("taking them out would change %s", k)
		}
	}
	kept, _ := before["deployments"].([]any)
	var want []any
	for i, d := range kept {
		if !slices.Contains(drop, i) {
			want = append(want, d)
		}
	}
	got, _ := after["deployments"].([]any)
	if !reflect.DeepEqual(want, got) {
		return nil, "taking them out would change the deployments that stay (an anchor defined in an adopted one?)"
	}
	return rest, ""
}

// resolve follows an alias to the node it names.
func resolve(n *yamlv3.Node) *yamlv3.Node {
	for n != nil && n.Kind == yamlv3.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping is a mapping node's values by key, with merge keys (<<)
// applied; explicit keys win.
func mapping(n *yamlv3.Node) map[string]*yamlv3.Node {
	out := map[string]*yamlv3.Node{}
	if n == nil || n.Kind != yamlv3.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "<<" && n.Content[i].Tag == "!!merge" {
			v := resolve(n.Content[i+1])
			srcs := []*yamlv3.Node{v}
			if v.Kind == yamlv3.SequenceNode {
				srcs = v.Content
			}
			for _, src := range srcs {
				for k, val := range mapping(resolve(src)) {
					if _, ok := out[k]; !ok {
						out[k] = val
					}
				}
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !(n.Content[i].Value == "<<" && n.Content[i].Tag == "!!merge") {
			out[n.Content[i].Value] = n.Content[i+1]
		}
	}
	return out
}

// keyNode is one key of a mapping, for reports.
type keyNode struct {
	key  string
	node *yamlv3.Node
}

// keyNodes are a mapping's keys in order, those a merge key (<<) brings
// at the merge key, sorted.
func keyNodes(n *yamlv3.Node) []keyNode {
	var out []keyNode
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !(k.Value == "<<" && k.Tag == "!!merge") {
			seen[k.Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == "<<" && k.Tag == "!!merge" {
			merged := mapping(&yamlv3.Node{Kind: yamlv3.MappingNode, Content: n.Content[i : i+2]})
			for _, mk := range slices.Sorted(maps.Keys(merged)) {
				if !seen[mk] {
					seen[mk] = true
					out = append(out, keyNode{mk, k})
				}
			}
			continue
		}
		out = append(out, keyNode{k.Value, k})
	}
	return out
}

// scalar is a scalar node's value, "" for another node or null.
func scalar(n *yamlv3.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yamlv3.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// stepNames lists the step names of a build, push or pull section.
func stepNames(n *yamlv3.Node) string {
	var names []string
	steps := []*yamlv3.Node{n}
	if n.Kind == yamlv3.SequenceNode {
		steps = n.Content
	}
	for _, s := range steps {
		s = resolve(s)
		if s.Kind == yamlv3.MappingNode && len(s.Content) > 0 {
			names = append(names, s.Content[0].Value)
		}
	}
	return strings.Join(names, ", ")
}
