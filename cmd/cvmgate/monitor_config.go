package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/internal/yamltree"
	"github.com/cvmgate/cvmgate/policy"
)

// Bounds and defaults of a monitor configuration.
const (
	// maxMonitorConfig bounds the configuration file.
	maxMonitorConfig = 1 << 20
	// maxMonitoredCVMs bounds the CVMs of one configuration.
	maxMonitoredCVMs = 10000
	// maxCVMLabels bounds the labels of one CVM.
	maxCVMLabels = 32
	// maxLabelValue bounds a label value and a CVM name, in bytes.
	maxLabelValue = 256
	// minCheckInterval is the shortest interval between two checks of one
	// CVM: each check costs the CVM a quote.
	minCheckInterval = time.Second
	// defaultCheckInterval is the interval of a configuration that sets
	// none.
	defaultCheckInterval = 5 * time.Minute
	// defaultJitter and maxJitter bound the random spread of the interval,
	// as a fraction of it.
	defaultJitter = 0.1
	maxJitter     = 0.5
	// configDepth and configMappingKeys bound the YAML structure: the
	// schema nests four levels, its largest mapping is a CVM's labels.
	configDepth       = 6
	configMappingKeys = maxCVMLabels
)

// monitorConfig is the configuration of "cvmgate monitor": the CVMs to
// check, each with its policy, and how often.
type monitorConfig struct {
	// Version is the file format version; it must be 1.
	Version int `yaml:"version"`
	// Interval is the time between two checks of a CVM that sets none.
	Interval policy.Duration `yaml:"interval"`
	// Jitter spreads checks at random over ±Jitter×interval, so that a
	// fleet's checks do not all fall at once; the first check of each CVM
	// comes after a random fraction of Jitter×interval.
	Jitter *float64 `yaml:"jitter"`
	// CVMs are the CVMs to check.
	CVMs []*monitoredCVM `yaml:"cvms"`
}

// monitoredCVM is one CVM of a monitor configuration.
type monitoredCVM struct {
	// Name identifies the CVM in logs, metrics (label cvm) and alerts; it
	// is unique within the configuration.
	Name string `yaml:"name"`
	// URL is the CVM's https URL; its origin is attested.
	URL string `yaml:"url"`
	// Policy is the path of the CVM's policy file, relative to the
	// configuration file.
	Policy string `yaml:"policy"`
	// Interval, when set, replaces the configuration's interval.
	Interval policy.Duration `yaml:"interval"`
	// Labels are shown in logs and alerts and in the cvm_info metric.
	Labels map[string]string `yaml:"labels"`

	// policy is the loaded policy file.
	policy *policy.Policy
}

// interval returns the time between two checks of c under cfg.
func (cfg *monitorConfig) interval(c *monitoredCVM) time.Duration {
	if c.Interval > 0 {
		return time.Duration(c.Interval)
	}
	return time.Duration(cfg.Interval)
}

// jitter returns the configured jitter fraction.
func (cfg *monitorConfig) jitter() float64 {
	if cfg.Jitter == nil {
		return defaultJitter
	}
	return *cfg.Jitter
}

// configError is one thing wrong with a monitor configuration: the field,
// what was expected and what was found.
type configError struct {
	Field, Expected, Found string
	Err                    error
}

func (e *configError) Error() string {
	msg := ""
	if e.Field != "" {
		msg = e.Field + ": "
	}
	msg += "expected " + e.Expected + ", found " + e.Found
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *configError) Unwrap() error { return e.Err }

// loadMonitorConfig reads and parses the configuration file at path; the
// CVMs' policy files are loaded relative to its directory. Only a
// regular file is read, so that a FIFO cannot hold a reload up.
func loadMonitorConfig(path string) (*monitorConfig, error) {
	data, err := readRegularFile(path, maxMonitorConfig)
	if err != nil {
		return nil, err
	}
	return parseMonitorConfig(data, filepath.Dir(path), policy.Load)
}

// readRegularFile reads the regular file at path, refusing one larger
// than limit. It opens path without blocking: opening a FIFO for reading
// would otherwise wait for a writer before the check could refuse it.
func readRegularFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: expected a regular file, found %s", path, st.Mode().Type())
	}
	data, err := limits.ReadAll(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// parseMonitorConfig parses a YAML or JSON monitor configuration, loads
// each CVM's policy with loadPolicy (paths joined to baseDir), fills in
// the defaults and validates it. Every problem found is reported, each a
// *configError.
func parseMonitorConfig(data []byte, baseDir string, loadPolicy func(string) (*policy.Policy, error)) (*monitorConfig, error) {
	cfg, err := decodeMonitorConfig(data)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.loadPolicies(baseDir, loadPolicy); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeMonitorConfig checks the document's structure and decodes it
// strictly: unknown keys are refused.
func decodeMonitorConfig(data []byte) (cfg *monitorConfig, err error) {
	defer func() {
		// The YAML library panics and recovers internally; should a panic
		// escape on some input, it is an invalid file, not a crash.
		if r := recover(); r != nil {
			cfg, err = nil, &configError{Expected: "a parsable YAML document", Found: fmt.Sprintf("parser failure: %v", r)}
		}
	}()
	if len(data) > maxMonitorConfig {
		return nil, &configError{Expected: fmt.Sprintf("at most %d bytes", maxMonitorConfig), Found: strconv.Itoa(len(data)) + " bytes"}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if !json.Valid(data) {
			return nil, &configError{Expected: "valid JSON (the document starts with '{')", Found: "invalid JSON"}
		}
		// Valid JSON has tabs only between tokens, where YAML may not.
		data = bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
	}
	if err := checkConfigStructure(data); err != nil {
		return nil, err
	}
	cfg = &monitorConfig{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return nil, &configError{Expected: "the monitor configuration's fields (version, interval, jitter, cvms: name, url, policy, interval, labels)", Found: "other content", Err: err}
	}
	return cfg, nil
}

// checkConfigStructure refuses, before decoding, what a reviewer could
// misread or what would make decoding slow: other than one document with
// a mapping at the top, anchors, aliases, merge keys, tags, null values,
// duplicate keys, deep nesting and large mappings.
func checkConfigStructure(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &configError{Expected: "a monitor configuration", Found: "an empty file"}
		}
		return &configError{Expected: "a YAML or JSON document", Found: "a syntax error", Err: err}
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return &configError{Expected: "a single YAML document", Found: "more than one"}
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		found := "nothing"
		if len(doc.Content) == 1 {
			found = "a " + yamltree.KindName(doc.Content[0].Kind)
		}
		return &configError{Expected: "a mapping at the top level", Found: found}
	}
	return yamltree.Walk(doc.Content[0], configDepth, func(n *yaml.Node) error {
		at := fmt.Sprintf("line %d", n.Line)
		switch {
		case n.Kind == yaml.AliasNode || n.Anchor != "":
			return &configError{Expected: "no anchors or aliases", Found: "one at " + at}
		case n.Style&yaml.TaggedStyle != 0:
			return &configError{Expected: "no explicit tags", Found: strconv.Quote(n.Tag) + " at " + at}
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
			return &configError{Expected: "a value", Found: "null at " + at}
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge":
			return &configError{Expected: "no merge keys", Found: "<< at " + at}
		case n.Kind == yaml.MappingNode && len(n.Content) > 2*configMappingKeys:
			return &configError{Expected: fmt.Sprintf("at most %d keys in a mapping", configMappingKeys), Found: fmt.Sprintf("%d at %s", len(n.Content)/2, at)}
		}
		return nil
	})
}

// labelName is what Prometheus accepts as a label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validate fills in the defaults and checks every field.
func (cfg *monitorConfig) validate() error {
	var errs []error
	add := func(field, expected, found string) {
		errs = append(errs, &configError{Field: field, Expected: expected, Found: found})
	}
	if cfg.Version != 1 {
		add("version", "1", strconv.Itoa(cfg.Version))
	}
	if cfg.Interval == 0 {
		cfg.Interval = policy.Duration(defaultCheckInterval)
	}
	if time.Duration(cfg.Interval) < minCheckInterval {
		add("interval", "at least "+minCheckInterval.String(), cfg.Interval.String())
	}
	if j := cfg.jitter(); !(j >= 0 && j <= maxJitter) {
		add("jitter", fmt.Sprintf("a fraction of the interval from 0 to %g", maxJitter), strconv.FormatFloat(j, 'g', -1, 64))
	}
	switch n := len(cfg.CVMs); {
	case n == 0:
		add("cvms", "at least one CVM", "none")
	case n > maxMonitoredCVMs:
		add("cvms", fmt.Sprintf("at most %d CVMs", maxMonitoredCVMs), strconv.Itoa(n))
	}
	names := map[string]int{}
	for i, c := range cfg.CVMs {
		at := fmt.Sprintf("cvms[%d]", i)
		if c == nil {
			add(at, "a CVM", "nothing")
			continue
		}
		switch {
		case c.Name == "":
			add(at+".name", "a name", "none")
		case len(c.Name) > maxLabelValue || strings.IndexFunc(c.Name, unicode.IsControl) >= 0:
			add(at+".name", fmt.Sprintf("at most %d bytes without control characters", maxLabelValue), quoteShort(c.Name))
		}
		if j, dup := names[c.Name]; dup && c.Name != "" {
			add(at+".name", "a name no other CVM has", fmt.Sprintf("%q, the name of cvms[%d]", c.Name, j))
		} else {
			names[c.Name] = i
		}
		if _, ok := parseCVMURL(c.URL); !ok {
			add(at+".url", cvmURLExpected, quoteShort(c.URL))
		}
		if c.Policy == "" {
			add(at+".policy", "the path of a policy file", "none")
		}
		if c.Interval != 0 && time.Duration(c.Interval) < minCheckInterval {
			add(at+".interval", "at least "+minCheckInterval.String(), c.Interval.String())
		}
		if len(c.Labels) > maxCVMLabels {
			add(at+".labels", fmt.Sprintf("at most %d labels", maxCVMLabels), strconv.Itoa(len(c.Labels)))
		}
		for k, v := range c.Labels {
			if !labelName.MatchString(k) || strings.HasPrefix(k, "__") {
				add(at+".labels", "label names of letters, digits and _, not starting with a digit or __", quoteShort(k))
			}
			if len(v) > maxLabelValue {
				add(at+".labels."+k, fmt.Sprintf("at most %d bytes", maxLabelValue), strconv.Itoa(len(v))+" bytes")
			}
		}
	}
	return errors.Join(errs...)
}

// loadPolicies loads each CVM's policy, once per file.
func (cfg *monitorConfig) loadPolicies(baseDir string, load func(string) (*policy.Policy, error)) error {
	loaded := map[string]*policy.Policy{}
	var errs []error
	for i, c := range cfg.CVMs {
		path := c.Policy
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		if p, ok := loaded[path]; ok {
			c.policy = p
			continue
		}
		p, err := load(path)
		if err != nil {
			errs = append(errs, &configError{Field: fmt.Sprintf("cvms[%d].policy", i), Expected: "a valid policy file", Found: quoteShort(c.Policy), Err: err})
			continue
		}
		loaded[path], c.policy = p, p
	}
	return errors.Join(errs...)
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	return clip.Quote(s, 80)
}
