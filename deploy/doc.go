// Package deploy talks to the outside world: it reads and changes a Prefect server through its REST API and runs the prefect and docker command-line tools.
package deploy
