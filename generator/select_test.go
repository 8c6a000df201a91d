package generator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSelectFlows: which flows get deployments, and why the others do not.
func TestSelectFlows(t *testing.T) {
	const (
		main    = "from prefect import flow\n\n\n@flow\ndef hourly():\n    pass\n"
		scratch = "from prefect import flow\n\nfrom flows.main.workflow import hourly\n\n\n@flow\ndef experiment():\n    hourly()\n"
		cycle   = "from prefect import flow\n\n\n@flow\ndef ping():\n    pong()\n\n\n@flow\ndef pong():\n    ping()\n"
		chain   = "from prefect import flow\n\n\n@flow\ndef leaf():\n    pass\n\n\n@flow\ndef middle():\n    leaf()\n\n\n@flow\ndef top():\n    middle()\n"
	)
	for _, c := range []struct {
		name   string
		files  map[string]string
		config string
		want   []string // deployed names, then "name: reason" of the others
		probs  []string
	}{
		{"a subflow of a deployed flow", map[string]string{"flows/main/workflow.py": main, "flows/scratch/try.py": scratch}, "",
			[]string{"experiment", "hourly: a subflow of experiment"}, nil},
		{"a flow called only from an excluded flow is deployed",
			map[string]string{"flows/main/workflow.py": main, "flows/scratch/try.py": scratch}, "deploy: {exclude: [flows/scratch]}\n",
			[]string{"hourly", "experiment: deploy.exclude names it"}, nil},
		{"a flow called only from a flow deploy: false is deployed",
			map[string]string{"flows/main/workflow.py": main, "flows/scratch/try.py": scratch}, "flows: {experiment: {deploy: false}}\n",
			[]string{"hourly", "experiment: flows.experiment.deploy is false"}, nil},
		{"flows calling one another, and nothing else calling them, are deployed",
			map[string]string{"flows/x/workflow.py": cycle}, "", []string{"ping", "pong"}, nil},
		{"a chain: only its top is deployed", map[string]string{"flows/x/workflow.py": chain}, "",
			[]string{"top", "leaf: a subflow of middle", "middle: a subflow of top"}, nil},
		{"a chain whose top is excluded: its middle is deployed", map[string]string{"flows/x/workflow.py": chain}, "deploy: {exclude: [top]}\n",
			[]string{"middle", "leaf: a subflow of middle", "top: deploy.exclude names it"}, nil},
		{"subflows: true", map[string]string{"flows/x/workflow.py": chain}, "deploy: {subflows: true}\n",
			[]string{"leaf", "middle", "top"}, nil},
		{"an empty include is refused", map[string]string{"flows/x/workflow.py": chain}, "deploy: {include: []}\n",
			nil, []string{"deployment_config.yaml:1:19: CONFIG_INVALID_VALUE: deploy.include is empty, which would deploy no flow; remove it to deploy every flow, or name the flows to deploy"}},
		{"a bad pattern is said to be one", map[string]string{"flows/x/workflow.py": chain}, "deploy: {exclude: [\"[\"]}\n",
			[]string{"top", "leaf: a subflow of middle", "middle: a subflow of top"},
			[]string{"deployment_config.yaml:1:20: CONFIG_INVALID_VALUE: deploy.exclude: pattern \"[\": syntax error in pattern"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"requirements.txt": "prefect\n",
				"deployment_config.yaml": "environments:\n  dev:\n    work_pools: {python: p}\n" + c.config}
			if c.config != "" {
				files["deployment_config.yaml"] = c.config + "environments:\n  dev:\n    work_pools: {python: p}\n"
			}
			for k, v := range c.files {
				files[k] = v
			}
			p, err := Load(writeRepo(t, files), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var probs []string
			for _, pr := range p.Validation.All() {
				probs = append(probs, strings.TrimSuffix(strings.Split(pr.Format(), "\n")[0], "\n"))
			}
			if diff := cmp.Diff(c.probs, probs); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(c.probs) > 0 && c.want == nil {
				return
			}
			m := p.Manager()
			var got []string
			for _, f := range m.Flows {
				got = append(got, f.Name)
			}
			for _, s := range m.Skipped {
				got = append(got, fmt.Sprintf("%s: %s", s.Name, s.Reason))
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("deployed, then skipped (-want +got):\n%s", diff)
			}
		})
	}
}
