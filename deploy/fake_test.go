package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"prefectgen/model"
)

// fakeServer is a double of the Prefect REST endpoints prefectgen uses,
// holding flows, deployments and work pools in memory.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	nextID int
	flows  map[string]string // name -> id
	deps   map[string]map[string]any
	pools  map[string]string // name -> type
	// down makes every request fail with 503, as a server going away.
	down bool
	// requests counts requests by "METHOD path-prefix".
	requests map[string]int
	// hiddenPools answer 404 to their first read: another deploy creates
	// them between prefectgen's check and its create.
	hiddenPools map[string]bool
	// fail, when set, answers a request with its status instead (0: go
	// on), under the lock.
	fail func(method, path string) int
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{flows: map[string]string{}, deps: map[string]map[string]any{}, pools: map[string]string{}, requests: map[string]int{}, hiddenPools: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) api() string { return f.URL + "/api" }

func (f *fakeServer) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeServer) id() string {
	f.nextID++
	return fmt.Sprintf("00000000-0000-0000-0000-%012d", f.nextID)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	f.requests[r.Method+" /"+parts[0]]++
	if f.down {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"detail": "down"})
		return
	}
	if f.fail != nil {
		if status := f.fail(r.Method, path); status != 0 {
			writeJSON(w, status, map[string]string{"detail": "injected"})
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		dec.Decode(&in)
	}
	switch {
	case path == "/health":
		writeJSON(w, 200, true)
	case r.Method == "POST" && path == "/deployments/":
		d := map[string]any{"id": f.id()}
		for k, v := range in {
			d[k] = v
		}
		if scheds, ok := in["schedules"].([]any); ok {
			d["schedules"] = f.schedules(scheds)
		}
		if limit, ok := in["concurrency_limit"]; ok && limit != nil {
			d["global_concurrency_limit"] = map[string]any{"limit": limit}
		}
		f.touch(d)
		f.deps[d["id"].(string)] = d
		writeJSON(w, 201, d)
	case r.Method == "POST" && path == "/deployments/filter":
		writeJSON(w, 200, f.filter(in))
	case r.Method == "POST" && path == "/flows/filter":
		var out []map[string]any
		ids, _ := in["flows"].(map[string]any)["id"].(map[string]any)["any_"].([]any)
		for name, id := range f.flows {
			if slices.Contains(ids, any(id)) {
				out = append(out, map[string]any{"id": id, "name": name})
			}
		}
		writeJSON(w, 200, out)
	case r.Method == "GET" && len(parts) == 4 && parts[0] == "deployments" && parts[1] == "name":
		for _, d := range f.deps {
			if f.flowName(d) == parts[2] && d["name"] == parts[3] {
				writeJSON(w, 200, d)
				return
			}
		}
		writeJSON(w, 404, map[string]string{"detail": "Deployment not found"})
	case len(parts) >= 2 && parts[0] == "deployments":
		f.deployment(w, r.Method, parts, in)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "work_pools":
		if f.hiddenPools[parts[1]] {
			delete(f.hiddenPools, parts[1])
			writeJSON(w, 404, map[string]string{"detail": "Work pool not found"})
			return
		}
		if typ, ok := f.pools[parts[1]]; ok {
			writeJSON(w, 200, map[string]any{"name": parts[1], "type": typ})
			return
		}
		writeJSON(w, 404, map[string]string{"detail": "Work pool not found"})
	case r.Method == "POST" && path == "/work_pools/":
		name := in["name"].(string)
		if _, ok := f.pools[name]; ok {
			writeJSON(w, 409, map[string]string{"detail": "already exists"})
			return
		}
		f.pools[name] = in["type"].(string)
		writeJSON(w, 201, in)
	case r.Method == "PUT" && path == "/test/apply":
		f.apply(in)
		writeJSON(w, 200, true)
	default:
		writeJSON(w, 404, map[string]string{"detail": "no route " + r.Method + " " + path})
	}
}

func (f *fakeServer) flowName(d map[string]any) string {
	for name, id := range f.flows {
		if id == d["flow_id"] {
			return name
		}
	}
	return ""
}

// filter answers /deployments/filter for the filters prefectgen sends:
// tags all_ and name any_, sorted by name, with limit and offset.
func (f *fakeServer) filter(in map[string]any) []map[string]any {
	filt, _ := in["deployments"].(map[string]any)
	var out []map[string]any
	for _, d := range f.deps {
		if tags, ok := filt["tags"].(map[string]any); ok {
			have, _ := d["tags"].([]any)
			all, _ := tags["all_"].([]any)
			if slices.ContainsFunc(all, func(t any) bool { return !slices.Contains(have, t) }) {
				continue
			}
		}
		if name, ok := filt["name"].(map[string]any); ok {
			if any_, _ := name["any_"].([]any); !slices.Contains(any_, d["name"]) {
				continue
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["name"].(string), b["name"].(string)) })
	limit, _ := in["limit"].(json.Number).Int64()
	offset, _ := in["offset"].(json.Number).Int64()
	out = out[min(int(offset), len(out)):]
	return out[:min(int(limit), len(out))]
}

func (f *fakeServer) deployment(w http.ResponseWriter, method string, parts []string, in map[string]any) {
	d, ok := f.deps[parts[1]]
	if !ok {
		writeJSON(w, 404, map[string]string{"detail": "Deployment not found"})
		return
	}
	switch {
	case method == "GET" && len(parts) == 2:
		writeJSON(w, 200, d)
	case method == "DELETE" && len(parts) == 2:
		delete(f.deps, parts[1])
		w.WriteHeader(204)
	case method == "PATCH" && len(parts) == 2:
		for k, v := range in {
			if k == "schedules" {
				d[k] = f.schedules(v.([]any))
				continue
			}
			if k == "concurrency_limit" {
				d["global_concurrency_limit"] = nil
				if v != nil {
					d["global_concurrency_limit"] = map[string]any{"limit": v}
				}
				continue
			}
			d[k] = v
		}
		f.touch(d)
		w.WriteHeader(204)
	case method == "DELETE" && len(parts) == 4 && parts[2] == "schedules":
		scheds, _ := d["schedules"].([]any)
		d["schedules"] = slices.DeleteFunc(slices.Clone(scheds), func(s any) bool { return s.(map[string]any)["id"] == parts[3] })
		f.touch(d)
		w.WriteHeader(204)
	default:
		writeJSON(w, 404, map[string]string{"detail": "no route"})
	}
}

func (f *fakeServer) touch(d map[string]any) {
	d["updated"] = strconv.Itoa(f.nextID) + time.Now().Format(time.RFC3339Nano)
	f.nextID++
}

func (f *fakeServer) schedules(in []any) []any {
	out := []any{}
	for _, s := range in {
		m := s.(map[string]any)
		m["id"] = f.id()
		out = append(out, m)
	}
	return out
}

// apply upserts a deployment as prefect deploy would, from a
// model.DeploymentConfig (see fakeRender).
func (f *fakeServer) apply(in map[string]any) {
	var c model.DeploymentConfig
	b, _ := json.Marshal(in)
	json.Unmarshal(b, &c)
	flowID, ok := f.flows[c.FlowName]
	if !ok {
		flowID = f.id()
		f.flows[c.FlowName] = flowID
	}
	var d map[string]any
	for _, existing := range f.deps {
		if existing["flow_id"] == flowID && existing["name"] == c.DeploymentName {
			d = existing
		}
	}
	if d == nil {
		d = map[string]any{"id": f.id(), "flow_id": flowID, "name": c.DeploymentName}
		f.deps[d["id"].(string)] = d
	}
	var scheds []any
	for _, s := range c.Schedules {
		sch := map[string]any{"timezone": s.Timezone}
		switch {
		case s.Cron != "":
			sch["cron"] = s.Cron
		case s.Interval != nil:
			sch["interval"] = *s.Interval
		default:
			sch["rrule"] = s.RRule
		}
		scheds = append(scheds, map[string]any{"slug": s.Slug, "active": s.Active, "parameters": s.Parameters, "schedule": sch})
	}
	// prefect deploy never removes schedules: keep the server's whose slug
	// is not sent.
	old, _ := d["schedules"].([]any)
	for _, o := range old {
		if !slices.ContainsFunc(c.Schedules, func(s model.Schedule) bool { return s.Slug == o.(map[string]any)["slug"] }) {
			scheds = append(scheds, o)
		}
	}
	var limit any
	if c.ConcurrencyLimit != nil {
		limit = map[string]any{"limit": *c.ConcurrencyLimit}
	}
	tags := make([]any, len(c.Tags))
	for i, t := range c.Tags {
		tags[i] = t
	}
	for k, v := range map[string]any{
		"entrypoint": c.Entrypoint, "tags": tags, "parameters": c.Parameters, "job_variables": c.JobVariables,
		"work_pool_name": c.WorkPool, "work_queue_name": "default", "paused": c.Paused, "description": c.Description,
		"enforce_parameter_schema": c.EnforceParameterSchema, "global_concurrency_limit": limit,
		"pull_steps": []any{map[string]any{"prefect.deployments.steps.set_working_directory": map[string]any{"directory": c.CodeDir}}},
	} {
		d[k] = v
	}
	d["schedules"] = f.schedules(scheds)
	f.touch(d)
	// Round-trip through JSON as a real answer would be.
	b, _ = json.Marshal(d)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var norm map[string]any
	dec.Decode(&norm)
	f.deps[d["id"].(string)] = norm
}

// fakeRender is the Render of the tests: the deployments as JSON, which
// the fake prefect reads.
func fakeRender(deps []model.DeploymentConfig) ([]byte, error) { return json.Marshal(deps) }

// TestMain runs the test binary as the fake prefect when asked to.
func TestMain(m *testing.M) {
	if os.Getenv("PREFECTGEN_FAKE_PREFECT") == "1" {
		os.Exit(fakePrefect(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakePrefect is a double of the prefect command line: "--no-prompt deploy
// --prefect-file F --all" applies F's deployments in order through the
// fake server and stops at the first whose name contains "boom", as
// prefect deploy does; "work-pool create NAME --type T" creates a pool.
// FAKE_PREFECT_SLEEP makes each deployment take that long, and
// FAKE_PREFECT_LOG names a file that gets one line per invocation.
func fakePrefect(args []string) int {
	api := os.Getenv("PREFECT_API_URL")
	if log := os.Getenv("FAKE_PREFECT_LOG"); log != "" {
		f, _ := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		fmt.Fprintf(f, "%d %s\n", os.Getpid(), strings.Join(args, " "))
		f.Close()
	}
	put := func(method, path string, v any) error {
		b, _ := json.Marshal(v)
		req, _ := http.NewRequest(method, api+path, bytes.NewReader(b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	switch {
	case len(args) >= 6 && args[1] == "work-pool" && args[2] == "create":
		if err := put("POST", "/work_pools/", map[string]any{"name": args[3], "type": args[5]}); err != nil {
			fmt.Fprintf(os.Stderr, "Work pool named '%s' already exists.\n", args[3])
			return 1
		}
		fmt.Printf("Created work pool '%s'!\n", args[3])
		return 0
	case len(args) >= 4 && args[1] == "deploy" && args[2] == "--prefect-file":
		data, err := os.ReadFile(args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		var deps []model.DeploymentConfig
		json.Unmarshal(data, &deps)
		sleep, _ := time.ParseDuration(os.Getenv("FAKE_PREFECT_SLEEP"))
		for _, d := range deps {
			time.Sleep(sleep)
			if strings.Contains(d.DeploymentName, "boom") {
				fmt.Fprintf(os.Stderr, "Traceback (most recent call last):\nprefect.exceptions.PrefectHTTPStatusError: Client error '409 Conflict' for %s\nAn exception occurred.\n", d.FullName)
				return 1
			}
			vars := map[string]string{}
			for _, kv := range os.Environ() {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
			d.JobVariables, _ = ResolveEnv(d.JobVariables, vars).(map[string]any)
			if err := put("PUT", "/test/apply", d); err != nil {
				fmt.Fprintf(os.Stderr, "httpx.ConnectError: %v\n", err)
				return 1
			}
			fmt.Printf("Deployment '%s' successfully created with id 'x'.\n", d.FullName)
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "fake prefect: unexpected arguments %q\n", args)
	return 2
}
