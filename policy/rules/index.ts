/**
 * The policy pack's rules, as pure functions over plain resource objects. Nothing here imports
 * `@pulumi/policy`, so the root test suite runs these functions on the resources the program
 * registers under Pulumi's mocks; policy/index.ts only wires them into a PolicyPack.
 *
 * Each rule is a generator of messages: the pack reports each one as it is produced. Every rule
 * decides in a preview: the plan is wholly known then, and the Kubernetes resources' templates are
 * known but for their image digests, which the digest rule reads as "not built yet"
 * (resource.ts `known`).
 */
export { autoscalingAnnotationViolations, autoscalingKeyProblem, isAutoscalingKey } from "./autoscaling";
export { imageDigestViolations } from "./imageDigests";
export { DEFAULT_ROLLOUT_STEPS, productionMinScaleViolations, productionRolloutStepViolations, productionStableVersionViolations } from "./production";
export { JUDGED, known, type PolicyResource, UNKNOWN } from "./resource";
export { revisionNameViolations } from "./revisionNames";
export { trafficPercentViolations } from "./traffic";

/** Policy names, one per rule; policy/index.ts and the docs use these. */
export const POLICY_NAMES = {
    trafficPercents: "knative-traffic-percents-sum-to-100",
    revisionNames: "knative-revision-names-prefixed-by-service",
    imageDigests: "knative-images-pinned-by-digest",
    autoscalingAnnotations: "knative-autoscaling-annotations-valid",
    productionStableVersion: "production-requires-stable-version",
    productionMinScale: "production-requires-min-scale",
    productionRolloutSteps: "production-rollout-percent-is-allowed-step",
} as const;
