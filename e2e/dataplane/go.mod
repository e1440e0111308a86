module knative-rollout-e2e/dataplane

go 1.26.0
