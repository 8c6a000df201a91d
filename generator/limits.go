package generator

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/Masterminds/sprig/v3"
)

// Bounds on what a template override may make prefectgen do: templates
// are the user's code, run on every generate.
const (
	maxListLen   = 10000            // until, untilStep, seq, range over a literal
	maxOutput    = 64 << 20         // bytes one template renders
	renderBudget = 20 * time.Second // the time one template may take
)

// errTooMuchOutput stops a template that writes more than maxOutput.
var errTooMuchOutput = fmt.Errorf("it writes more than %d MiB", maxOutput>>20)

// capWriter fails the write that goes past maxOutput, which stops the
// template.
type capWriter struct {
	strings.Builder
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > maxOutput {
		return 0, errTooMuchOutput
	}
	return w.Builder.Write(p)
}

// boundedFuncs replace sprig's functions that allocate as much as they
// are asked to.
func boundedFuncs() template.FuncMap {
	fm := sprig.TxtFuncMap()
	until := fm["until"].(func(int) []int)
	untilStep := fm["untilStep"].(func(int, int, int) []int)
	seq := fm["seq"].(func(...int) string)
	tooLong := func(n int) error {
		return fmt.Errorf("a list of %d elements: more than %d", n, maxListLen)
	}
	return template.FuncMap{
		"until": func(n int) ([]int, error) {
			if n > maxListLen || n < -maxListLen {
				return nil, tooLong(n)
			}
			return until(n), nil
		},
		"untilStep": func(start, stop, step int) ([]int, error) {
			if step != 0 && (stop-start)/step > maxListLen {
				return nil, tooLong((stop - start) / step)
			}
			return untilStep(start, stop, step), nil
		},
		"seq": func(params ...int) (string, error) {
			if len(params) > 0 && (params[len(params)-1] > maxListLen || params[len(params)-1] < -maxListLen) {
				return "", tooLong(params[len(params)-1])
			}
			return seq(params...), nil
		},
		"repeat": func(count int, s string) (string, error) {
			if count < 0 || count*len(s) > maxOutput {
				return "", errTooMuchOutput
			}
			return strings.Repeat(s, count), nil
		},
	}
}

// checkRangesIn refuses a range over an integer literal beyond
// maxListLen in a parsed template: {{ range 100000000000 }} would run for
// hours.
func checkRangesIn(tree *parse.Tree, n parse.Node) error {
	var lists []*parse.ListNode
	switch x := n.(type) {
	case *parse.ListNode:
		lists = append(lists, x)
	case *parse.RangeNode:
		for _, cmd := range x.Pipe.Cmds {
			for _, arg := range cmd.Args {
				num, ok := arg.(*parse.NumberNode)
				if ok && (num.IsInt && (num.Int64 > maxListLen || num.Int64 < -maxListLen) || num.IsFloat && num.Float64 > maxListLen) {
					loc, _ := tree.ErrorContext(x)
					return fmt.Errorf("template: %s: range over %s: more than %d iterations", loc, num.Text, maxListLen)
				}
			}
		}
		lists = append(lists, x.List, x.ElseList)
	case *parse.IfNode:
		lists = append(lists, x.List, x.ElseList)
	case *parse.WithNode:
		lists = append(lists, x.List, x.ElseList)
	}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, c := range l.Nodes {
			if err := checkRangesIn(tree, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// execute runs a template within the bounds: output and time.
func execute(tm *template.Template, data any) ([]byte, error) {
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var w capWriter
		err := tm.Execute(&w, data)
		done <- result{[]byte(w.String()), err}
	}()
	select {
	case r := <-done:
		if errors.Is(r.err, errTooMuchOutput) {
			return nil, fmt.Errorf("template: %s: %w", tm.Name(), errTooMuchOutput)
		}
		return r.out, r.err
	case <-time.After(renderBudget):
		// The template goroutine cannot be stopped; prefectgen reports and
		// exits.
		return nil, fmt.Errorf("template: %s: it took more than %s (an endless range?)", tm.Name(), renderBudget)
	}
}
