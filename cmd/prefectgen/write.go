package main

import (
	"os"
	"path/filepath"
	"time"
)

// leftoverAge is how old a temporary file of an earlier write must be to
// count as left behind (its writer was killed) and be removed.
const leftoverAge = time.Minute

// writeFileAtomic writes data to path through a temporary file in the same
// folder and a rename, so that a reader never sees half a file and a
// failure leaves the old file as it was. A symbolic link is written
// through: its target gets the data and the link stays. Temporary files
// that earlier writes left behind are removed.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	removeLeftovers(dir, filepath.Base(path))
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".prefectgen-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	for _, err := range []error{werr, serr, cerr} {
		if err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := os.Chmod(tmp, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// removeLeftovers removes the temporary files of earlier writes of name
// in dir that never finished.
func removeLeftovers(dir, name string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+name+".prefectgen-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > leftoverAge {
			os.Remove(m)
		}
	}
}
