package model

import "testing"

func TestUIBase(t *testing.T) {
	for api, want := range map[string]string{
		"https://api.prefect.cloud/api/accounts/a1/workspaces/w1":  "https://app.prefect.cloud/account/a1/workspace/w1",
		"https://api.prefect.cloud/api/accounts/a1/workspaces/w1/": "https://app.prefect.cloud/account/a1/workspace/w1",
		"http://127.0.0.1:4200/api":                                "http://127.0.0.1:4200",
		"https://prefect.example.com/prefect/api":                  "https://prefect.example.com/prefect",
	} {
		if got := UIBase(api); got != want {
			t.Errorf("UIBase(%q) = %q, want %q", api, got, want)
		}
	}
}

func TestPullSteps(t *testing.T) {
	d := DeploymentConfig{CodeDir: "/app"}
	if got := d.PullSteps(); len(got) != 1 || got[0].(map[string]any)["prefect.deployments.steps.set_working_directory"] == nil {
		t.Errorf("%v", got)
	}
	d.Git = &Git{Repository: "https://x/y.git", Credentials: "{{ prefect.blocks.github-credentials.c }}"}
	clone := d.PullSteps()[0].(map[string]any)["prefect.deployments.steps.git_clone"].(map[string]any)
	if clone["commit_sha"] != "{{ $PREFECTGEN_COMMIT }}" || clone["credentials"] == nil {
		t.Errorf("%v", clone)
	}
}
