package generator

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeManyFlows writes a repository of n flows, one per folder, with a
// configuration of three environments that sets parameters and a
// schedule for every flow.
func writeManyFlows(tb testing.TB, dir string, n int) {
	tb.Helper()
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("requirements.txt", "prefect==3.9.1\nhttpx==0.28.1\n")
	var cfg strings.Builder
	cfg.WriteString("environments:\n")
	for _, env := range []string{"development", "staging", "production"} {
		fmt.Fprintf(&cfg, "  %s:\n    prefect_api_url: \"http://%s:4200/api\"\n    work_pools:\n      python: %s-process\n      docker: %s-docker\n    default_parameters:\n      cleanup: true\n    resource_limits:\n      memory: 1Gi\n      cpu: \"1\"\n", env, env, env, env)
	}
	cfg.WriteString("flows:\n")
	for i := range n {
		write(fmt.Sprintf("flows/f%04d/workflow.py", i), fmt.Sprintf(`"""Flow %d."""
import httpx
from prefect import flow, task


@task
def fetch(url: str) -> int:
    return len(httpx.get(url).text)


@flow(name="flow-%04d", retries=1, log_prints=True)
def main(url: str, batch: int = 10, cleanup: bool = True):
    """Fetch a page, %d."""
    return fetch(url)
`, i, i, i))
		fmt.Fprintf(&cfg, "  flow-%04d:\n    parameters:\n      url: \"https://example.com/%d\"\n    schedules:\n      - cron: \"%d %d * * MON-FRI\"\n        timezone: Europe/Amsterdam\n    environments:\n      production:\n        parameters: {batch: 100}\n", i, i, i%60, i%24)
	}
	write("deployment_config.yaml", cfg.String())
}

// BenchmarkValidateExample is prefectgen validate on examples/rpa-platform.
func BenchmarkValidateExample(b *testing.B) {
	root := filepath.Join("..", "examples", "rpa-platform")
	b.ReportAllocs()
	for b.Loop() {
		p, err := Load(root, LoadOptions{})
		if err != nil || !p.Validation.IsValid {
			b.Fatal(err, p.Validation.Errors)
		}
	}
}

// BenchmarkValidate1000Flows is prefectgen validate on 1,000 flows with a
// configuration of three environments and 1,000 flows: entries.
func BenchmarkValidate1000Flows(b *testing.B) {
	root := b.TempDir()
	writeManyFlows(b, root, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := Load(root, LoadOptions{})
		if err != nil || !p.Validation.IsValid {
			b.Fatal(err, p.Validation.Errors)
		}
	}
}

// BenchmarkGenerate1000Flows renders every file for 1,000 flows in three
// environments with two deployment types each (6,000 deployments).
func BenchmarkGenerate1000Flows(b *testing.B) {
	root := b.TempDir()
	writeManyFlows(b, root, 1000)
	p, err := Load(root, LoadOptions{})
	if err != nil || !p.Validation.IsValid {
		b.Fatal(err, p.Validation.Errors)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err := Generate(p, GenerateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Deployments) != 6000 {
			b.Fatalf("%d deployments", len(out.Deployments))
		}
	}
}

// TestWriteManyFlows writes the 1,000-flow repository of the benchmarks
// to -many.write DIR, for timing the prefectgen command on it.
func TestWriteManyFlows(t *testing.T) {
	if *manyWrite == "" {
		return
	}
	writeManyFlows(t, *manyWrite, 1000)
}

var manyWrite = flag.String("many.write", "", "write the 1,000-flow benchmark repository to this folder")
