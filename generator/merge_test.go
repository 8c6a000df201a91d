package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeRepo writes files (path: content) under a new folder.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const kwFlow = `from prefect import flow


@flow(name="report")
def report(title: str = "x", **extra):
    pass
`

const etlFlow = `from prefect import flow


@flow(name="etl")
def etl(source: str, limit: int = 10, cleanup: bool = True):
    pass
`

// TestCrossChecks checks the configuration against the flows' signatures,
// one case per check, each with the exact problems expected.
func TestCrossChecks(t *testing.T) {
	env := "environments:\n  dev:\n    work_pools:\n      python: p\n"
	cases := []struct {
		name   string
		config string
		want   []string
	}{
		{"required parameter given", env + "flows:\n  etl:\n    parameters:\n      source: a\n", nil},
		{"required parameter missing, no schedule, no parameters configured: started by hand", env, nil},
		{"required parameter missing, no schedule, others configured", env + "flows:\n  etl:\n    parameters: {limit: 5}\n",
			[]string{"flows/etl/workflow.py:5:1: CONFIG_RUNTIME_PARAMETER"}},
		{"required parameter missing, scheduled", env + "flows:\n  etl:\n    schedules:\n      - interval: 60\n",
			[]string{"flows/etl/workflow.py:5:1: CONFIG_MISSING_PARAMETER"}},
		{"required parameter given by the schedule", env + "flows:\n  etl:\n    schedules:\n      - interval: 60\n        parameters: {source: a}\n", nil},
		{"required parameter given for one environment only",
			"environments:\n  dev:\n    work_pools: {python: p}\n  prod:\n    work_pools: {python: q}\nflows:\n  etl:\n    schedules: [{interval: 60}]\n    environments:\n      prod:\n        parameters: {source: a}\n",
			[]string{"flows/etl/workflow.py:5:1: CONFIG_MISSING_PARAMETER"}},
		{"a warning made an error by problems:", env + "flows:\n  etl:\n    parameters: {limit: 5}\nproblems:\n  CONFIG_RUNTIME_PARAMETER: error\n",
			[]string{"flows/etl/workflow.py:5:1: CONFIG_RUNTIME_PARAMETER"}},
		{"a warning turned off in its folder", env + "flows:\n  etl:\n    parameters: {limit: 5}\nproblems:\n  CONFIG_RUNTIME_PARAMETER: {severity: \"off\", paths: [flows/etl_folder]}\n", nil},
		{"a warning turned off in its folder, written from the root", env + "flows:\n  etl:\n    parameters: {limit: 5}\nproblems:\n  CONFIG_RUNTIME_PARAMETER: {severity: \"off\", paths: [/flows/etl_folder/]}\n", nil},
		{"a warning kept outside the rule's paths", env + "flows:\n  etl:\n    parameters: {limit: 5}\nproblems:\n  CONFIG_RUNTIME_PARAMETER: {severity: \"off\", paths: [flows/report]}\n",
			[]string{"flows/etl/workflow.py:5:1: CONFIG_RUNTIME_PARAMETER"}},
		{"parameter types", env + "flows:\n  etl:\n    parameters:\n      source: 5\n      limit: \"ten\"\n      cleanup: null\n",
			[]string{"deployment_config.yaml:8:15: CONFIG_PARAMETER_TYPE", "deployment_config.yaml:9:14: CONFIG_PARAMETER_TYPE", "deployment_config.yaml:10:16: CONFIG_PARAMETER_TYPE"}},
		{"parameter types that fit", env + "flows:\n  etl:\n    parameters:\n      source: \"5\"\n      limit: 10\n      cleanup: false\n", nil},
		{"unknown parameter", env + "flows:\n  etl:\n    parameters:\n      source: a\n      limt: 3\n", []string{"deployment_config.yaml:9:7: CONFIG_UNKNOWN_PARAMETER"}},
		{"unknown parameter in an override", env + "flows:\n  etl:\n    parameters: {source: a}\n    environments:\n      dev:\n        parameters: {nope: 1}\n", []string{"deployment_config.yaml:10:22: CONFIG_UNKNOWN_PARAMETER"}},
		{"unknown parameter in a schedule", env + "flows:\n  etl:\n    parameters: {source: a}\n    schedules:\n      - cron: '0 1 * * *'\n        parameters: {lmit: 1}\n", []string{"deployment_config.yaml:10:22: CONFIG_UNKNOWN_PARAMETER"}},
		{"default parameter not taken is a note", "environments:\n  dev:\n    work_pools: {python: p}\n    default_parameters: {cleanup: false, use_distributed: true}\nflows:\n  etl:\n    parameters: {source: a}\n", []string{"deployment_config.yaml:4:42: CONFIG_PARAMETER_NOT_APPLIED"}},
		{"**kwargs takes anything", env + "flows:\n  etl:\n    parameters: {source: a}\n  report:\n    parameters: {team: finance}\n", nil},
		{"flows entry by folder name", env + "flows:\n  etl_folder:\n    parameters: {source: a}\n", nil},
		{"unknown flows entry", env + "flows:\n  etl:\n    parameters: {source: a}\n  reprot: {}\n", []string{"deployment_config.yaml:8:3: CONFIG_UNKNOWN_FLOW"}},
		{"type without a work pool", env + "flows:\n  etl:\n    parameters: {source: a}\n    types: [docker]\n", []string{"deployment_config.yaml:8:12: CONFIG_NO_WORK_POOL"}},
		{"deployment names collide", "environments:\n  dev:\n    work_pools: {python: p, docker: d}\nnaming:\n  deployment: '{environment}'\nflows:\n  etl:\n    parameters: {source: a}\n",
			[]string{"deployment_config.yaml:5:15: CONFIG_INVALID_NAME", "deployment_config.yaml:5:15: CONFIG_INVALID_NAME"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeRepo(t, map[string]string{
				"requirements.txt":               "prefect\n",
				"flows/etl_folder/workflow.py":   etlFlow,
				"flows/report/workflow.py":       kwFlow,
				"deployment_config.yaml":         c.config,
				"flows/etl_folder/__init__.py":   "",
				"flows/report/requirements.txt":  "prefect\n",
				"flows/etl_folder/.env.dev":      "A=1\n",
				"flows/etl_folder/data/.gitkeep": "",
			})
			p, err := Load(root, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pr := range p.Validation.All() {
				got = append(got, pr.Pos()+": "+pr.Code)
			}
			// Positions in the flow file depend on the folder name.
			for i, g := range got {
				got[i] = strings.Replace(g, "flows/etl_folder/", "flows/etl/", 1)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
				for _, pr := range p.Validation.All() {
					t.Log(pr.Error())
				}
			}
		})
	}
}

// TestMerge checks how the layers of configuration combine.
func TestMerge(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"requirements.txt":         "prefect\n",
		"flows/report/workflow.py": kwFlow,
		"deployment_config.yaml": `environments:
  prod:
    prefect_api_url: "https://prefect.example.com/api"
    ui_url: "https://ui.example.com/"
    work_pools:
      python: proc
      docker: {name: dock, work_queue: q1, job_variables: {auto_remove: true}}
      kubernetes: {name: k8s, namespace: flows}
    default_parameters: {title: "T", region: eu}
    docker_registry: registry.example.com/team
    resource_limits: {memory: 512Mi, cpu: "500m"}
    image_pull_policy: Always
    code_dir: /srv/app
    tags: [prod]
    env: {LOG_LEVEL: INFO}
images:
  tag_strategy: fixed
  tag: "1.4.2"
flows:
  report:
    tags: [reports]
    job_variables: {env: {EXTRA: "1"}}
    schedules:
      - cron: "0 6 * * MON"
        timezone: Europe/Amsterdam
    environments:
      prod:
        types: [docker, kubernetes]
        paused: true
        concurrency_limit: 2
        parameters: {title: "Prod report"}
`,
	})
	p, err := Load(root, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Validation.IsValid {
		t.Fatalf("unexpected problems: %v", p.Validation.All())
	}
	deps, probs, err := p.Manager().Deployments("prod")
	if err != nil || len(probs) > 0 {
		t.Fatalf("plan: %v %v", err, probs)
	}
	if len(deps) != 2 {
		t.Fatalf("got %d deployments, want 2", len(deps))
	}
	docker, k8s := deps[0], deps[1]
	wantDocker := map[string]any{
		"env":               map[string]any{"PYTHONPATH": "/srv/app", "LOG_LEVEL": "INFO", "EXTRA": "1"},
		"image":             "registry.example.com/team/report-worker:1.4.2",
		"image_pull_policy": "Always",
		"mem_limit":         "512m",
		"auto_remove":       true,
	}
	if diff := cmp.Diff(wantDocker, docker.JobVariables); diff != "" {
		t.Errorf("docker job variables (-want +got):\n%s", diff)
	}
	wantK8s := map[string]any{
		"env":               map[string]any{"PYTHONPATH": "/srv/app", "LOG_LEVEL": "INFO", "EXTRA": "1"},
		"image":             "registry.example.com/team/report-worker:1.4.2",
		"image_pull_policy": "Always",
		"namespace":         "flows",
		"memory_request":    "512Mi", "memory_limit": "512Mi",
		"cpu_request": "500m", "cpu_limit": "500m",
	}
	if diff := cmp.Diff(wantK8s, k8s.JobVariables); diff != "" {
		t.Errorf("kubernetes job variables (-want +got):\n%s", diff)
	}
	checks := []struct{ what, got, want string }{
		{"name", docker.FullName, "report/prod-docker"},
		{"pool", docker.WorkPool + "/" + docker.WorkQueue, "dock/q1"},
		{"k8s pool", k8s.WorkPool, "k8s"},
		{"ui", docker.UIURL, "https://ui.example.com"},
		{"tags", strings.Join(docker.Tags, ","), "prod,reports,managed-by:prefectgen,env:prod,type:docker"},
		{"slug", docker.Schedules[0].Slug, "prod-docker-1"},
		{"dockerfile", docker.Dockerfile, "flows/report/Dockerfile"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	wantParams := map[string]any{"title": "Prod report", "extra": map[string]any{"region": "eu"}}
	if diff := cmp.Diff(wantParams, docker.Parameters); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	if !docker.Paused || docker.ConcurrencyLimit == nil || *docker.ConcurrencyLimit != 2 {
		t.Errorf("paused %v, concurrency %v", docker.Paused, docker.ConcurrencyLimit)
	}
}

// TestInlineIgnoreOfConfigurationChecks: a problem the configuration's
// checks place in a flow file is silenced by the comment on its line, as
// discovery's own are; an error that cannot be silenced stays.
func TestInlineIgnoreOfConfigurationChecks(t *testing.T) {
	for _, c := range []struct{ comment, config, want string }{
		{"", "parameters: {limit: 5}", "flows/etl/workflow.py:5:1: CONFIG_RUNTIME_PARAMETER"},
		{"  # prefectgen: ignore[CONFIG_RUNTIME_PARAMETER]", "parameters: {limit: 5}", ""},
		{"  # prefectgen: ignore[CONFIG_MISSING_PARAMETER]", "schedules: [{interval: 60}]", "flows/etl/workflow.py:5:1: CONFIG_MISSING_PARAMETER"},
	} {
		root := writeRepo(t, map[string]string{
			"requirements.txt":       "prefect\n",
			"flows/etl/workflow.py":  "from prefect import flow\n\n\n@flow\ndef etl(source: str, limit: int = 10):" + c.comment + "\n    pass\n",
			"deployment_config.yaml": "environments:\n  dev:\n    work_pools: {python: p}\nflows:\n  etl:\n    " + c.config + "\n",
		})
		p, err := Load(root, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, pr := range p.Validation.All() {
			got += pr.Pos() + ": " + pr.Code
		}
		if got != c.want {
			t.Errorf("comment %q, %s: got %q, want %q", c.comment, c.config, got, c.want)
		}
	}
}
