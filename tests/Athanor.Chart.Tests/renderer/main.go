// chartrender renders a Helm chart's templates the way `helm template` does, with the same engines
// Helm uses: Go's text/template and sprig v3 (TxtFuncMap without env/expandenv), plus Helm's own
// functions (include, tpl, required, toYaml, fromYaml, toJson, fromJson, lookup, Files.Get/Glob/AsConfig
// subset) and built-in objects (.Values, .Release, .Chart, .Capabilities, .Template, .Files).
// It mirrors Helm 3's pkg/engine; what it does not do is listed in ../README.md.
//
// usage: chartrender CHART_DIR [-name RELEASE] [-namespace NS] [-f values.yaml]... [-existing objects.yaml] [-notes | -values]
// Output: every rendered template as "---\n# Source: CHART/templates/FILE\n" + content, in name order.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// capabilities mirrors chartutil.Capabilities for a Kubernetes 1.29 cluster.
type kubeVersion struct{ Version, Major, Minor, GitVersion string }
type versionSet []string

func (v versionSet) Has(api string) bool {
	for _, a := range v {
		if a == api {
			return true
		}
	}
	return false
}

type capabilities struct {
	KubeVersion kubeVersion
	APIVersions versionSet
}

// files mirrors Helm's .Files for the chart's non-template files.
type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }

func main() {
	name := flag.String("name", "athanor", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "also render templates/NOTES.txt")
	printValues := flag.Bool("values", false, "print the coalesced values as JSON (what Helm checks against values.schema.json) instead of rendering")
	existingFile := flag.String("existing", "", "YAML documents of objects already in the cluster: lookup returns them and the render is an upgrade (as `helm upgrade` against a cluster holding them)")
	var valueFiles multiFlag
	flag.Var(&valueFiles, "f", "values file (repeatable; later files win)")
	// Flags may come before or after the chart folder, as with helm.
	var positional []string
	args := os.Args[1:]
	for {
		if err := flag.CommandLine.Parse(args); err != nil {
			fail(err)
		}
		if flag.NArg() == 0 {
			break
		}
		positional = append(positional, flag.Arg(0))
		args = flag.Args()[1:]
	}
	if len(positional) != 1 {
		fail(errors.New("usage: chartrender CHART_DIR [-name R] [-namespace NS] [-f values.yaml]... [-notes]"))
	}
	if *printValues {
		values, err := loadValues(positional[0], valueFiles)
		if err != nil {
			fail(err)
		}
		data, err := json.Marshal(values)
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(data)
		return
	}
	existing, err := readObjects(*existingFile)
	if err != nil {
		fail(err)
	}
	out, err := render(positional[0], *name, *namespace, valueFiles, existing, *notes)
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "Error:", err)
	os.Exit(1)
}

func readYAML(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// readObjects reads the -existing file: Kubernetes objects as YAML documents separated by "---" lines; nil without a file.
func readObjects(file string) ([]map[string]interface{}, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var objects []map[string]interface{}
	for _, doc := range strings.Split("\n"+string(data), "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		objects = append(objects, m)
	}
	return objects, nil
}

// lookupObject is Helm's lookup for a named object: the existing object with that apiVersion, kind, namespace and
// name, or an empty map (what Helm returns for one not found, and for every lookup under `helm template`).
func lookupObject(existing []map[string]interface{}, apiVersion, kind, namespace, name string) map[string]interface{} {
	for _, o := range existing {
		meta, _ := o["metadata"].(map[string]interface{})
		if o["apiVersion"] == apiVersion && o["kind"] == kind && meta != nil && meta["name"] == name &&
			(namespace == "" || meta["namespace"] == namespace) {
			return o
		}
	}
	return map[string]interface{}{}
}

// coalesce merges src over dst as Helm does for user values: maps merge deeply, a null deletes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sv, ok := v.(map[string]interface{}); ok {
			if dv, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = coalesce(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// loadValues reads the chart's values.yaml and merges the user's files over it, in order.
func loadValues(chartDir string, valueFiles []string) (map[string]interface{}, error) {
	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	for _, f := range valueFiles {
		user, err := readYAML(f)
		if err != nil {
			return nil, err
		}
		values = coalesce(values, user)
	}
	return values, nil
}

func render(chartDir, release, namespace string, valueFiles []string, existing []map[string]interface{}, withNotes bool) (string, error) {
	meta, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	chartName, _ := meta["name"].(string)
	if chartName == "" {
		return "", errors.New("Chart.yaml: name is required")
	}
	values, err := loadValues(chartDir, valueFiles)
	if err != nil {
		return "", err
	}

	chart := map[string]interface{}{}
	for k, v := range meta { // Helm exposes Chart.yaml's keys capitalized (chart.Metadata's field names)
		key := strings.ToUpper(k[:1]) + k[1:]
		if k == "apiVersion" {
			key = "APIVersion"
		}
		chart[key] = v
	}

	templates := map[string]string{}
	other := files{}
	err = filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			templates[path.Join(chartName, rel)] = string(data)
		} else if rel != "Chart.yaml" && rel != "values.yaml" && rel != "values.schema.json" {
			other[rel] = data
		}
		return nil
	})
	if err != nil {
		return "", err
	}

	root := template.New("gotpl")
	root.Option("missingkey=zero") // Helm's default (non-strict) mode
	includedNames := map[string]int{}
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return lookupObject(existing, apiVersion, kind, namespace, name), nil // without -existing, as `helm template`: no cluster to ask
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	root.Funcs(funcs)

	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := root.New(n).Parse(templates[n]); err != nil {
			return "", err
		}
	}

	caps := capabilities{
		KubeVersion: kubeVersion{Version: "v1.29.0", Major: "1", Minor: "29", GitVersion: "v1.29.0"},
		APIVersions: versionSet{"v1", "apps/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "monitoring.coreos.com/v1"},
	}
	// As Helm's engine: one top-level map and one .Release map for every template of the chart (only .Template
	// changes), so a value a helper caches there (the generated certificates) is the same in every template.
	upgrade := existing != nil
	revision := 1
	if upgrade {
		revision = 2
	}
	top := map[string]interface{}{
		"Values":       values,
		"Chart":        chart,
		"Capabilities": caps,
		"Files":        other,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm",
			"IsInstall": !upgrade, "IsUpgrade": upgrade, "Revision": revision,
		},
	}
	var out strings.Builder
	for _, n := range names {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") || (base == "NOTES.txt" && !withNotes) {
			continue // partials define templates only; NOTES.txt is shown after install
		}
		top["Template"] = map[string]interface{}{"Name": n, "BasePath": path.Join(chartName, "templates")}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, n, top); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue // Helm drops empty manifests
		}
		out.WriteString("---\n# Source: " + n + "\n" + text + "\n")
	}
	return out.String(), nil
}
