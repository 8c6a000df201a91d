// Package model holds what prefectgen deploys: one flow in one environment with one deployment type, fully merged, and the tags that mark it as prefectgen's.
package model
