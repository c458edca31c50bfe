// Package config resolves restload's configuration and secrets from TOML
// files and environment variables into typed structs.
//
// Values are looked up by a dotted key such as "sources.ashby.api_key",
// in this order, the first hit winning:
//
//  1. the environment variable named by the key in upper case with "__"
//     between sections: SOURCES__ASHBY__API_KEY;
//  2. .restload/secrets.toml, then .restload/config.toml, in the project
//     folder (the current folder unless set);
//  3. ~/.restload/secrets.toml, then ~/.restload/config.toml.
//
// Fields marked secret are never read from a config.toml file, so that
// config.toml can be shared and committed safely. A secret found there is
// an error whose message names secrets.toml as the place to move it.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// FolderName is the name of the configuration folder in the project and
// in the home folder.
const FolderName = ".restload"

// Options sets where Load looks. Zero values use the process's current
// folder, home folder and environment.
type Options struct {
	// ProjectDir holds the project's .restload folder; empty means the
	// current folder.
	ProjectDir string
	// HomeDir holds the user's .restload folder; empty means $HOME. Set it
	// to "-" to skip the home folder.
	HomeDir string
	// LookupEnv reads an environment variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Resolver looks values up in the providers found by Load.
type Resolver struct {
	env   func(string) (string, bool)
	dirs  []string
	files []*file
	// Warnings lists problems that do not stop a run, such as a secrets
	// file that other users can read.
	Warnings []string
}

// file is one TOML file that was found and parsed.
type file struct {
	path    string
	secrets bool
	tree    map[string]any
}

// Load finds and parses the configuration files. A missing file is not an
// error; a malformed one is, with its path, line and column.
func Load(opts Options) (*Resolver, error) {
	r := &Resolver{env: opts.LookupEnv}
	if r.env == nil {
		r.env = os.LookupEnv
	}
	project := opts.ProjectDir
	if project == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("find the current folder: %w", err)
		}
		project = wd
	}
	dirs := []string{filepath.Join(project, FolderName)}
	home := opts.HomeDir
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home != "" && home != "-" {
		if h := filepath.Join(home, FolderName); h != dirs[0] {
			dirs = append(dirs, h)
		}
	}
	r.dirs = dirs
	for _, dir := range dirs {
		for _, name := range []string{"secrets.toml", "config.toml"} {
			f, err := r.loadFile(filepath.Join(dir, name), name == "secrets.toml")
			if err != nil {
				return nil, err
			}
			if f != nil {
				r.files = append(r.files, f)
			}
		}
	}
	return r, nil
}

func (r *Resolver) loadFile(path string, secrets bool) (*file, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if secrets && info.Mode().Perm()&0o077 != 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"%s can be read by other users (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	tree := map[string]any{}
	if err := toml.Unmarshal(b, &tree); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("parse %s: line %d, column %d: %s", path, row, col, de.Error())
		}
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &file{path: path, secrets: secrets, tree: tree}, nil
}

// EnvName returns the environment variable that holds key:
// "sources.ashby.api_key" becomes SOURCES__ASHBY__API_KEY.
func EnvName(key string) string {
	return strings.ToUpper(strings.ReplaceAll(key, ".", "__"))
}

// Value is a resolved value and where it came from.
type Value struct {
	// Raw is a string from the environment, or the TOML value (string,
	// int64, float64, bool, []any, time values).
	Raw any
	// Origin names the place, such as "environment variable X" or a file.
	Origin string
}

// Lookup returns the value of key from the first place that has it. With
// secret set, config.toml files are skipped, and a hit in one of them
// is an error.
func (r *Resolver) Lookup(key string, secret bool) (Value, bool, error) {
	if v, ok := r.env(EnvName(key)); ok {
		return Value{Raw: v, Origin: "environment variable " + EnvName(key)}, true, nil
	}
	path := strings.Split(key, ".")
	for _, f := range r.files {
		v, ok := lookupTree(f.tree, path)
		if !ok {
			continue
		}
		if secret && !f.secrets {
			return Value{}, false, fmt.Errorf("%s is a secret but is set in %s: move it to %s or to the environment variable %s",
				key, f.path, filepath.Join(filepath.Dir(f.path), "secrets.toml"), EnvName(key))
		}
		return Value{Raw: v, Origin: f.path}, true, nil
	}
	return Value{}, false, nil
}

// Searched lists every place Lookup looks for key, in order, for messages
// about a missing value. Files are listed whether or not they exist.
func (r *Resolver) Searched(key string, secret bool) []string {
	places := []string{"environment variable " + EnvName(key)}
	section, name := splitKey(key)
	for _, dir := range r.dirs {
		for _, file := range []string{"secrets.toml", "config.toml"} {
			if secret && file == "config.toml" {
				continue
			}
			places = append(places, fmt.Sprintf("%s ([%s] %s)", filepath.Join(dir, file), section, name))
		}
	}
	return places
}

func splitKey(key string) (section, name string) {
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return "", key
	}
	return key[:i], key[i+1:]
}

func lookupTree(tree map[string]any, path []string) (any, bool) {
	var cur any = tree
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Files returns the paths of the files that were found, in lookup order.
func (r *Resolver) Files() []string {
	paths := make([]string, len(r.files))
	for i, f := range r.files {
		paths[i] = f.path
	}
	return paths
}

// CheckKeys reports keys in the files that no part of restload reads,
// with the closest known key, so that a typo does not pass silently.
// known lists every valid dotted key. A key under a section of a known key
// must be known itself; other keys are reported unless they start with
// one of the open prefixes, such as "sources." for the secrets of
// declarative sources, whose keys only their definitions name.
func (r *Resolver) CheckKeys(known []string, open ...string) error {
	set := map[string]bool{}
	sections := map[string]bool{}
	for _, k := range known {
		set[k] = true
		section, _ := splitKey(k)
		sections[section] = true
	}
	var problems []string
	for _, f := range r.files {
		for _, key := range flatten("", f.tree) {
			if set[key] {
				continue
			}
			if section, _ := splitKey(key); !sections[section] && hasAnyPrefix(key, open) {
				continue
			}
			msg := fmt.Sprintf("%s: unknown key %s", f.path, key)
			if s := closest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// flatten lists the dotted keys of the leaves of tree, sorted.
func flatten(prefix string, tree map[string]any) []string {
	var keys []string
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok {
			keys = append(keys, flatten(key, m)...)
			continue
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
