package discover

import (
	"testing"
)

// benchDiscover generates a synthetic repository once, outside the timer,
// then runs Discover on it. It reports the flows found, the megabytes of
// Python source in the tree (and, through SetBytes, MB/s over the whole
// tree) and allocations.
func benchDiscover(b *testing.B, files, flowEvery int) {
	dir := b.TempDir()
	st := writeSynthRepo(b, dir, files, flowEvery)
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	b.ResetTimer()
	var res *Result
	for b.Loop() {
		var err error
		res, err = Discover(Options{Root: dir})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(res.Flows) != st.Flows || res.Stats.FilesSeen != st.Files || len(res.Validation.Errors) != 0 {
		b.Fatalf("found %d flows in %d files with %d errors; the tree has %d flows in %d files",
			len(res.Flows), res.Stats.FilesSeen, len(res.Validation.Errors), st.Flows, st.Files)
	}
	b.ReportMetric(float64(len(res.Flows)), "flows")
	b.ReportMetric(float64(st.Bytes)/1e6, "srcMB")
}

// BenchmarkDiscover10k5pct is a large monorepo: 10,000 files, 5% of them
// define flows and another 5% are Prefect task modules.
func BenchmarkDiscover10k5pct(b *testing.B) { benchDiscover(b, 10000, 20) }

// BenchmarkDiscover1kAllFlows is a repository where every one of 1,000
// files defines flows: no file is skipped by the byte pre-filter.
func BenchmarkDiscover1kAllFlows(b *testing.B) { benchDiscover(b, 1000, 1) }

// BenchmarkParseFile parses and extracts one flow file of about 5 KB.
func BenchmarkParseFile(b *testing.B) {
	f := synthFile(0, 2, 1, 5000)
	b.SetBytes(int64(len(f.src)))
	b.ReportAllocs()
	pp := newPyParser()
	defer pp.Close()
	b.ResetTimer()
	for b.Loop() {
		pf := pp.parse(f.rel, f.src)
		if len(pf.flows) != f.flows {
			b.Fatalf("found %d flows, want %d", len(pf.flows), f.flows)
		}
	}
	b.ReportMetric(float64(len(f.src)), "srcBytes")
}
