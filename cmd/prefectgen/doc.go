// Prefectgen discovers the Prefect flows of a Python repository, validates them and their deployment configuration, generates the deployment artifacts and deploys them.
package main
