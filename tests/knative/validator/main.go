// Command knative-validate judges Knative Service manifests with Knative Serving's own code: the
// SetDefaults and Validate methods its admission webhook calls (knative.dev/serving
// pkg/apis/serving/v1), under a chosen config-defaults / config-features.
//
//	knative-validate [-defaults k=v,...] [-features k=v,...] create <service.json>
//	knative-validate [-defaults k=v,...] [-features k=v,...] update <stored.json> <applied.json>
//
// create defaults and validates a new Service; update does what the webhook does when an apply
// turns the stored object into the applied one (defaulting skipped for an unchanged BYO name,
// then validation against the stored baseline). On success the defaulted object is printed as
// JSON (the next update's stored object); on rejection the webhook's message goes to stderr and
// the exit code is 1. Usage errors exit 2. It is test tooling: the program never runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"knative.dev/pkg/apis"
	"knative.dev/serving/pkg/apis/config"
	v1 "knative.dev/serving/pkg/apis/serving/v1"
	autoscalerconfig "knative.dev/serving/pkg/autoscaler/config"
)

func main() {
	defaults := flag.String("defaults", "", "config-defaults entries, k=v,k=v")
	features := flag.String("features", "", "config-features entries, k=v,k=v")
	flag.Parse()
	ctx, err := withConfig(context.Background(), parseMap(*defaults), parseMap(*features))
	if err != nil {
		fail(2, "config: %v", err)
	}
	args := flag.Args()
	var result *v1.Service
	switch {
	case len(args) == 2 && args[0] == "create":
		result, err = create(ctx, read(args[1]))
	case len(args) == 3 && args[0] == "update":
		result, err = update(ctx, read(args[1]), read(args[2]))
	default:
		fail(2, "usage: knative-validate [-defaults k=v,...] [-features k=v,...] create <service.json> | update <stored.json> <applied.json>")
	}
	if err != nil {
		fail(1, "validation failed: %v", err)
	}
	out, _ := json.MarshalIndent(result, "", "  ")
	fmt.Println(string(out))
}

// create is the webhook's path for a new object: defaulting, then validation.
func create(ctx context.Context, svc *v1.Service) (*v1.Service, error) {
	ctx = apis.WithinCreate(ctx)
	svc.SetDefaults(ctx)
	return svc, judge(svc.Validate(ctx))
}

// update is the webhook's path for a changed object, with the stored one as baseline.
func update(ctx context.Context, stored, applied *v1.Service) (*v1.Service, error) {
	ctx = apis.WithinUpdate(ctx, stored)
	applied.SetDefaults(ctx)
	return applied, judge(applied.Validate(ctx))
}

// judge splits Knative's findings as its webhook does: error-level ones reject the request,
// warning-level ones (such as "Kubernetes default value is insecure") are only reported.
func judge(errs *apis.FieldError) error {
	if warnings := errs.Filter(apis.WarningLevel); warnings != nil {
		fmt.Fprintf(os.Stderr, "warning: %v\n", warnings)
	}
	if rejected := errs.Filter(apis.ErrorLevel); rejected != nil {
		return rejected
	}
	return nil
}

func withConfig(ctx context.Context, defaults, features map[string]string) (context.Context, error) {
	d, err := config.NewDefaultsConfigFromMap(defaults)
	if err != nil {
		return nil, err
	}
	f, err := config.NewFeaturesConfigFromMap(features)
	if err != nil {
		return nil, err
	}
	a, err := autoscalerconfig.NewConfigFromMap(map[string]string{})
	if err != nil {
		return nil, err
	}
	return config.ToContext(ctx, &config.Config{Defaults: d, Features: f, Autoscaler: a}), nil
}

func parseMap(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func read(path string) *v1.Service {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(2, "%v", err)
	}
	svc := &v1.Service{}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(svc); err != nil {
		fail(1, "%s is not a serving.knative.dev/v1 Service: %v", path, err)
	}
	return svc
}

func fail(code int, format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(code)
}
