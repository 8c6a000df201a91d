package deploy

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Release is one deploy (or rollback) of an environment, as the history
// records it.
type Release struct {
	Number  int
	Time    time.Time
	Command string // deploy or rollback
	// Commit is the full commit deployed, Revision what tagged the images.
	Commit   string
	Revision string
	// Result is ok, failed or interrupted.
	Result string
	// Summary counts the outcomes, such as "3 created, 1 failed".
	Summary string
	// To is the release a rollback went back to.
	To string
}

var artifactKeyChars = regexp.MustCompile(`[^a-z0-9-]+`)

// HistoryKey is the key of the artifact that holds an environment's
// releases: one artifact version per release, so the Prefect UI shows
// them under Artifacts.
func HistoryKey(project, env string) string {
	parts := []string{"prefectgen"}
	for _, p := range []string{project, env} {
		if p = strings.Trim(artifactKeyChars.ReplaceAllString(strings.ToLower(p), "-"), "-"); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "-")
}

// artifact is an artifact as the API returns it.
type artifact struct {
	ID       string            `json:"id"`
	Created  time.Time         `json:"created"`
	Metadata map[string]string `json:"metadata_"`
}

func (a artifact) release() Release {
	m := a.Metadata
	n, _ := strconv.Atoi(m["release"])
	t, err := time.Parse(time.RFC3339, m["time"])
	if err != nil {
		t = a.Created
	}
	return Release{Number: n, Time: t.UTC(), Command: m["command"], Commit: m["commit"], Revision: m["revision"],
		Result: m["result"], Summary: m["summary"], To: m["to"]}
}

// History returns an environment's releases, newest first, at most
// limit of them.
func (c *Client) History(ctx context.Context, key string, limit int) ([]Release, error) {
	var arts []artifact
	for offset := 0; offset < limit; offset += pageSize {
		var page []artifact
		body := map[string]any{"artifacts": map[string]any{"key": map[string]any{"any_": []string{key}}},
			"sort": "CREATED_DESC", "limit": min(pageSize, limit-offset), "offset": offset}
		if err := c.do(ctx, http.MethodPost, "/artifacts/filter", body, &page); err != nil {
			return nil, fmt.Errorf("reading the history: %w", err)
		}
		arts = append(arts, page...)
		if len(page) < min(pageSize, limit-offset) {
			break
		}
	}
	out := make([]Release, 0, len(arts))
	for _, a := range arts {
		if a.Metadata["prefectgen"] == "" {
			continue // someone else's artifact under this key
		}
		out = append(out, a.release())
	}
	return out, nil
}

// Record adds a release to the history: its number follows the newest
// one's. The artifact's description and data (Markdown) show it in the
// Prefect UI.
func (c *Client) Record(ctx context.Context, key string, r Release, results []Result) (Release, error) {
	latest, err := c.History(ctx, key, 1)
	if err != nil {
		return r, err
	}
	r.Number = 1
	if len(latest) > 0 {
		r.Number = latest[0].Number + 1
	}
	meta := map[string]string{"prefectgen": "1", "release": strconv.Itoa(r.Number), "time": r.Time.UTC().Format(time.RFC3339),
		"command": r.Command, "commit": r.Commit, "revision": r.Revision, "result": r.Result, "summary": r.Summary}
	if r.To != "" {
		meta["to"] = r.To
	}
	body := map[string]any{"key": key, "type": "markdown", "metadata_": meta,
		"description": fmt.Sprintf("prefectgen %s: release %d of %s", r.Command, r.Number, key),
		"data":        releaseMarkdown(r, results)}
	if err := c.do(ctx, http.MethodPost, "/artifacts/", body, nil); err != nil {
		return r, fmt.Errorf("recording the release: %w", err)
	}
	return r, nil
}

// releaseMarkdown is a release as the Prefect UI shows it.
func releaseMarkdown(r Release, results []Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Release %d**: prefectgen %s at commit `%s`", r.Number, r.Command, r.Commit)
	if r.To != "" {
		fmt.Fprintf(&b, " (back to %s)", r.To)
	}
	fmt.Fprintf(&b, ", %s: %s, %s.\n\n| deployment | outcome |\n|---|---|\n", r.Time.UTC().Format(time.RFC3339), r.Result, r.Summary)
	for _, res := range results {
		fmt.Fprintf(&b, "| %s | %s |\n", strings.ReplaceAll(res.FullName, "|", `\|`), res.Outcome)
	}
	return b.String()
}

// Summary counts a run's outcomes, as history and the CLI print them.
func Summary(results []Result) string {
	var parts []string
	for _, o := range []Outcome{Created, Updated, Unchanged, Deleted, Failed, RolledBack, NotApplied, Unverified} {
		n := 0
		for _, r := range results {
			if r.Outcome == o {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// ReleaseResult is a run's result as the history records it.
func ReleaseResult(rep *Report) string {
	switch {
	case rep.Interrupted:
		return "interrupted"
	case rep.Failed():
		return "failed"
	}
	return "ok"
}
