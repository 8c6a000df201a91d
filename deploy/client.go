package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client reads a Prefect server's REST API.
type Client struct {
	// API is the API base URL, such as http://127.0.0.1:4200/api.
	API  string
	HTTP *http.Client
}

// NewClient returns a client for the API at api.
func NewClient(api string) *Client {
	return &Client{API: strings.TrimSuffix(api, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// APIError is an answer of the API other than success.
type APIError struct {
	Status int
	Body   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.TrimSpace(e.Body))
}

// IsNotFound reports whether err is a 404 of the API.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// do sends a request and decodes a JSON answer into out (if not nil). It
// retries transient failures (connection errors, 502-504; a server on
// SQLite answers 503 while its database is locked) a few times, backing off.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	var lastErr error
	connErrors := 0
	for attempt := 0; attempt < 6 && connErrors < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, c.API+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			lastErr = fmt.Errorf("%s %s: %w", method, c.API+path, err)
			connErrors++
			continue
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout {
			lastErr = &APIError{Status: resp.StatusCode, Body: string(data)}
			continue
		}
		if resp.StatusCode >= 300 {
			return &APIError{Status: resp.StatusCode, Body: string(data)}
		}
		if out != nil && len(data) > 0 {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
			}
		}
		return nil
	}
	return lastErr
}

// Health checks that the server answers.
func (c *Client) Health(ctx context.Context) error {
	var ok any
	if err := c.do(ctx, http.MethodGet, "/health", nil, &ok); err != nil {
		return fmt.Errorf("the Prefect API at %s is not reachable: %w", c.API, err)
	}
	return nil
}

// Schedule is a deployment schedule as the API returns it.
type Schedule struct {
	ID         string         `json:"id"`
	Active     bool           `json:"active"`
	Slug       string         `json:"slug"`
	Parameters map[string]any `json:"parameters"`
	Schedule   struct {
		Cron       string      `json:"cron"`
		Interval   json.Number `json:"interval"`
		AnchorDate string      `json:"anchor_date"`
		RRule      string      `json:"rrule"`
		Timezone   string      `json:"timezone"`
		DayOr      *bool       `json:"day_or"`
	} `json:"schedule"`
}

// Deployment is a deployment as the API returns it.
type Deployment struct {
	ID                     string         `json:"id"`
	Name                   string         `json:"name"`
	FlowID                 string         `json:"flow_id"`
	FlowName               string         `json:"-"`
	Version                *string        `json:"version"`
	Description            *string        `json:"description"`
	Entrypoint             string         `json:"entrypoint"`
	Tags                   []string       `json:"tags"`
	Parameters             map[string]any `json:"parameters"`
	JobVariables           map[string]any `json:"job_variables"`
	WorkPoolName           string         `json:"work_pool_name"`
	WorkQueueName          string         `json:"work_queue_name"`
	Paused                 bool           `json:"paused"`
	EnforceParameterSchema bool           `json:"enforce_parameter_schema"`
	PullSteps              []any          `json:"pull_steps"`
	Schedules              []Schedule     `json:"schedules"`
	ParameterSchema        map[string]any `json:"parameter_openapi_schema"`
	GlobalConcurrencyLimit *struct {
		Limit json.Number `json:"limit"`
	} `json:"global_concurrency_limit"`

	// Raw is the deployment as the server sent it, to put it back.
	Raw map[string]any `json:"-"`
}

// UnmarshalJSON keeps the server's answer in Raw as well.
func (d *Deployment) UnmarshalJSON(b []byte) error {
	type plain Deployment
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode((*plain)(d)); err != nil {
		return err
	}
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(&d.Raw)
}

// FullName is flow/deployment.
func (d *Deployment) FullName() string { return d.FlowName + "/" + d.Name }

// ConcurrencyLimit returns the deployment's concurrency limit, 0 for none.
func (d *Deployment) ConcurrencyLimit() int {
	if d.GlobalConcurrencyLimit == nil {
		return 0
	}
	n, _ := d.GlobalConcurrencyLimit.Limit.Int64()
	return int(n)
}

// pageSize is the largest page the server gives.
const pageSize = 200

// DeploymentsWithTags lists every deployment that has all of tags, with
// its flow's name, reading every page.
func (c *Client) DeploymentsWithTags(ctx context.Context, tags ...string) ([]Deployment, error) {
	return c.deployments(ctx, map[string]any{"tags": map[string]any{"all_": tags}})
}

// DeploymentsNamed lists every deployment with one of the names (of any
// flow), with its flow's name.
func (c *Client) DeploymentsNamed(ctx context.Context, names []string) ([]Deployment, error) {
	if len(names) == 0 {
		return nil, nil
	}
	return c.deployments(ctx, map[string]any{"name": map[string]any{"any_": names}})
}

func (c *Client) deployments(ctx context.Context, filter map[string]any) ([]Deployment, error) {
	var all []Deployment
	for offset := 0; ; offset += pageSize {
		var page []Deployment
		body := map[string]any{"limit": pageSize, "offset": offset, "sort": "NAME_ASC", "deployments": filter}
		if err := c.do(ctx, http.MethodPost, "/deployments/filter", body, &page); err != nil {
			return nil, fmt.Errorf("listing deployments: %w", err)
		}
		all = append(all, page...)
		if len(page) < pageSize {
			break
		}
	}
	if err := c.fillFlowNames(ctx, all); err != nil {
		return nil, err
	}
	return all, nil
}

// fillFlowNames sets FlowName from the flows' ids.
func (c *Client) fillFlowNames(ctx context.Context, ds []Deployment) error {
	ids := map[string]bool{}
	for _, d := range ds {
		ids[d.FlowID] = true
	}
	names := map[string]string{}
	var list []string
	for id := range ids {
		list = append(list, id)
	}
	for start := 0; start < len(list); start += pageSize {
		end := min(start+pageSize, len(list))
		var flows []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		body := map[string]any{"limit": pageSize, "flows": map[string]any{"id": map[string]any{"any_": list[start:end]}}}
		if err := c.do(ctx, http.MethodPost, "/flows/filter", body, &flows); err != nil {
			return fmt.Errorf("reading flow names: %w", err)
		}
		for _, f := range flows {
			names[f.ID] = f.Name
		}
	}
	for i := range ds {
		ds[i].FlowName = names[ds[i].FlowID]
	}
	return nil
}

// DeploymentByName reads one deployment; a missing one is an error for
// which IsNotFound is true.
func (c *Client) DeploymentByName(ctx context.Context, flow, name string) (*Deployment, error) {
	var d Deployment
	if err := c.do(ctx, http.MethodGet, "/deployments/name/"+url.PathEscape(flow)+"/"+url.PathEscape(name), nil, &d); err != nil {
		return nil, err
	}
	d.FlowName = flow
	return &d, nil
}

func (c *Client) deploymentByID(ctx context.Context, id string) (*Deployment, error) {
	var d Deployment
	if err := c.do(ctx, http.MethodGet, "/deployments/"+url.PathEscape(id), nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteDeployment deletes a deployment by id.
func (c *Client) DeleteDeployment(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/deployments/"+url.PathEscape(id), nil, nil)
}

// WorkPool is a work pool as the API returns it.
type WorkPool struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// WorkPool reads a work pool; IsNotFound tells a missing one.
func (c *Client) WorkPool(ctx context.Context, name string) (*WorkPool, error) {
	var wp WorkPool
	if err := c.do(ctx, http.MethodGet, "/work_pools/"+url.PathEscape(name), nil, &wp); err != nil {
		return nil, err
	}
	return &wp, nil
}
