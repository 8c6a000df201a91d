// Package diag holds prefectgen's problems: the problem type, the registry of codes with their severity and remediation, positions and the order problems are printed in.
package diag
