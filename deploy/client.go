package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"prefectgen/redact"
)

// Client reads and changes a Prefect server through its REST API.
type Client struct {
	// API is the API base URL, such as http://127.0.0.1:4200/api, or a
	// Prefect Cloud workspace's .../api/accounts/ID/workspaces/ID.
	API  string
	Auth Credentials
	HTTP *http.Client
	// Backoff is the first wait before a retry; it doubles each time, up
	// to maxBackoff, with jitter.
	Backoff time.Duration
}

// NewClient returns a client for the API at api.
func NewClient(api string, auth Credentials) *Client {
	return &Client{API: strings.TrimSuffix(api, "/"), Auth: auth, HTTP: &http.Client{Timeout: 30 * time.Second}, Backoff: 250 * time.Millisecond}
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

// Retries of transient failures.
const (
	maxAttempts = 6
	maxBackoff  = 4 * time.Second
)

// idempotent reports whether a request can be sent again without harm:
// reads (GETs, and the POSTs that filter, count or paginate), and the
// writes that set a state (PATCH, PUT, DELETE).
func idempotent(method, path string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	for _, suffix := range []string{"/filter", "/count", "/paginate"} {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return false
}

// transient reports whether an answer is worth another try of a request
// that can be sent again: the server is overloaded, restarting or
// briefly failing (a server on SQLite answers 503 while its database is
// locked).
func transient(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// notDone reports whether an answer says the server did not carry the
// request out, so that any request can be sent again: the statuses
// Prefect's own client retries for every method.
func notDone(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// do sends a request and decodes a JSON answer into out (if not nil).
// Transient failures (connection errors, timeouts, 408, 429, 5xx) are
// retried with exponential backoff and jitter, at most maxAttempts times,
// for requests that can be sent again (see idempotent); others only when
// the server cannot have carried them out: a refused connection, or 408,
// 429, 502 and 503, as Prefect's own client does.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	again := idempotent(method, path)
	var lastErr error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if err := c.wait(ctx, attempt, lastErr); err != nil {
				return err
			}
		}
		retry, err := c.once(ctx, method, path, payload, body != nil, out)
		if err == nil {
			return nil
		}
		lastErr = err
		var ae *APIError
		if !retry || (!again && !refused(err) && !(errors.As(err, &ae) && notDone(ae.Status))) {
			return err
		}
	}
	return lastErr
}

// once sends the request once; retry says whether a failure is transient.
func (c *Client) once(ctx context.Context, method, path string, payload []byte, hasBody bool, out any) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, method, c.API+path, bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	if h := c.Auth.header(); h != "" {
		req.Header.Set("Authorization", h)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return ctx.Err() == nil, fmt.Errorf("%s %s: %w", method, redact.URL(c.API+path), err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return true, err
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode, Body: string(data)}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			e.Body = strings.TrimSpace(e.Body) + c.authHint()
		}
		return transient(resp.StatusCode), retryAfter{e, resp.Header.Get("Retry-After")}
	}
	if out != nil && len(data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			return false, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
		}
	}
	return false, nil
}

// authHint says how to authenticate, after a 401 or 403.
func (c *Client) authHint() string {
	if c.Auth.header() == "" {
		return " (no credentials were sent: set PREFECT_API_KEY for Prefect Cloud, or PREFECT_API_AUTH_STRING for a server with basic authentication, in the environment or the active Prefect profile)"
	}
	return " (the credentials were refused: check PREFECT_API_KEY or PREFECT_API_AUTH_STRING)"
}

// retryAfter is an API error with the server's Retry-After.
type retryAfter struct {
	*APIError
	after string
}

func (r retryAfter) Unwrap() error { return r.APIError }

// wait sleeps before attempt: the server's Retry-After (at most
// maxBackoff), else Backoff doubled each attempt, capped, with jitter.
func (c *Client) wait(ctx context.Context, attempt int, last error) error {
	d := min(c.Backoff<<(attempt-1), maxBackoff)
	d = d/2 + rand.N(d/2+1)
	var ra retryAfter
	if errors.As(last, &ra) {
		if secs, err := strconv.Atoi(ra.after); err == nil {
			d = min(time.Duration(secs)*time.Second, maxBackoff)
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// refused reports whether a request failed before the server got it.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
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
