/**
 * The contract: every name the program, the policy pack, the renderer, the verifier and the tests
 * agree on, defined once. Plain data and tiny predicates; no Pulumi, no Node APIs, so the policy
 * pack (its own npm package) and the verifier import it as they are.
 */

/** The Pulumi project: its config namespace (`knative-rollout:`) and its type-token package. */
export const PROJECT = "knative-rollout";

/** Knative Serving's API group, as the CRDs and the client address it. */
export const KNATIVE_SERVING = { group: "serving.knative.dev", version: "v1", apiVersion: "serving.knative.dev/v1" } as const;

/** Labels: ours, and the ones Knative writes that we read. */
export const LABELS = {
    /** The stack's environment (on the Service, through the traffic patch). */
    environment: `${PROJECT}.dev/environment`,
    /** Knative's owner label on a Revision. */
    revisionService: "serving.knative.dev/service",
} as const;

/** Annotations: ours, and the Kubernetes provider's server-side-apply switches. */
export const ANNOTATIONS = {
    /** The rollout percents a stack allows, for the policy pack (on the traffic patch). */
    allowedSteps: `${PROJECT}.dev/allowed-rollout-steps`,
    /** On a namespace the program created: which stack owns it (project/stack). */
    namespaceOwner: `${PROJECT}.dev/owner`,
    patchForce: "pulumi.com/patchForce",
    patchFieldManager: "pulumi.com/patchFieldManager",
} as const;

/** Traffic tags; each gives a URL that bypasses the split (`<tag>-<service>.<ns>.<domain>`). */
export const TAGS = { stable: "current", candidate: "candidate", latest: "latest" } as const;

/**
 * Server-side-apply field managers. The Service's template and `spec.traffic` are owned by two
 * managers, so a traffic-only change never re-sends the template (see components/knative/service.ts):
 * the Service resource applies the template as the kubernetes provider's own manager (a name it
 * keeps in the stack's state), the traffic patch as `traffic`. The bootstrap creates the Service as
 * `bootstrap`, and the readiness gate releases what it owns once the Service resource has applied,
 * so nothing the bootstrap set outlives a later template change.
 */
export const FIELD_MANAGERS = {
    traffic: `${PROJECT}-traffic`,
    bootstrap: `${PROJECT}-bootstrap`,
} as const;

/** Knative's autoscaling annotations (serving pkg/apis/autoscaling/register.go, v0.47 line). */
export const AUTOSCALING = {
    domain: "autoscaling.knative.dev",
    /** The config keys the program writes, and their annotation names. */
    keys: {
        target: "autoscaling.knative.dev/target",
        minScale: "autoscaling.knative.dev/min-scale",
        maxScale: "autoscaling.knative.dev/max-scale",
    },
    /** Every annotation name Knative reads under the domain. */
    known: [
        "class",
        "metric",
        "target",
        "target-utilization-percentage",
        "target-burst-capacity",
        "min-scale",
        "max-scale",
        "initial-scale",
        "activation-scale",
        "scale-down-delay",
        "scale-to-zero-pod-retention-period",
        "window",
        "panic-window-percentage",
        "panic-threshold-percentage",
        "metric-aggregation-algorithm",
    ] as readonly string[],
    /** The old camelCase names register.go still reads as lower-priority synonyms. */
    camelCase: {
        minScale: "min-scale",
        maxScale: "max-scale",
        initialScale: "initial-scale",
        scaleDownDelay: "scale-down-delay",
        scaleToZeroPodRetentionPeriod: "scale-to-zero-pod-retention-period",
        targetUtilizationPercentage: "target-utilization-percentage",
        targetBurstCapacity: "target-burst-capacity",
        panicWindowPercentage: "panic-window-percentage",
        panicThresholdPercentage: "panic-threshold-percentage",
        metricAggregationAlgorithm: "metric-aggregation-algorithm",
    } as Readonly<Record<string, string>>,
} as const;

/**
 * Environments. One rule for config and the policy pack: an environment name is a lower-case
 * label, and these names (and only these) hold a stack to the production rules.
 */
export const DEFAULT_ENVIRONMENT = "dev";
export const PRODUCTION_ENVIRONMENTS: readonly string[] = ["production", "prod"];

/** Whether an environment name is a production one. Case-insensitive, so a hand-edited value cannot slip past the pack. */
export function isProduction(environment: unknown): boolean {
    return typeof environment === "string" && PRODUCTION_ENVIRONMENTS.includes(environment.trim().toLowerCase());
}

/** The steps a production stack may use when it states none (the policy pack's default config). */
export const DEFAULT_ROLLOUT_STEPS: readonly number[] = [0, 10, 25, 50, 100];

/**
 * Namespaces the program never deploys into: Kubernetes reserves `default` and the `kube-`
 * prefix, Knative installs itself under `knative-`.
 */
export function isSystemNamespace(name: string): boolean {
    return name === "default" || name.startsWith("kube-") || name.startsWith("knative-");
}

/** Type tokens of what the program registers (mocks, the policy pack and the renderer match on these). */
const dynamic = (name: string) => `pulumi-nodejs:dynamic/${PROJECT}:${name}`;
export const TYPES = {
    rollout: `${PROJECT}:index:KnativeRollout`,
    flaskImage: `${PROJECT}:index:FlaskImage`,
    knativeService: `${PROJECT}:index:KnativeService`,
    trafficVerifier: `${PROJECT}:index:TrafficVerifier`,
    service: `kubernetes:${KNATIVE_SERVING.apiVersion}:Service`,
    servicePatch: `kubernetes:${KNATIVE_SERVING.apiVersion}:ServicePatch`,
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    provider: "pulumi:providers:kubernetes",
    image: "docker-build:index:Image",
    pin: dynamic("PinnedImage"),
    guard: dynamic("TemplateGuard"),
    namespaceClaim: dynamic("NamespaceClaim"),
    bootstrap: dynamic("ServiceBootstrap"),
    gate: dynamic("ReadinessGate"),
    verifier: "command:local:Command",
} as const;

/** The name of a dynamic resource type, as `pulumi.dynamic.Resource` is given it. */
export const DYNAMIC_TYPE_NAMES = {
    pin: "PinnedImage",
    guard: "TemplateGuard",
    namespaceClaim: "NamespaceClaim",
    bootstrap: "ServiceBootstrap",
    gate: "ReadinessGate",
} as const;

/**
 * The post-deploy verifier's budget: defaults and the bounds it accepts. Config accepts exactly
 * these bounds, so a stack cannot pass config and then fail at deploy time.
 */
export const VERIFY = {
    defaults: {
        alpha: 0.001,
        power: 0.95,
        minEffect: 10,
        maxRequests: 2000,
        timeLimitSeconds: 120,
        timeoutMs: 5000,
        concurrency: 8,
        maxErrorRate: 0.05,
    },
    bounds: {
        maxRequests: { min: 1, max: 1_000_000 },
        // Node's timers hold at most 2^31 - 1 ms; an hour is far more than a check needs.
        timeLimitSeconds: { min: 1, max: 3600 },
        timeoutMs: { min: 1, max: 600_000 },
        concurrency: { min: 1, max: 1024 },
    },
} as const;

/** Where `readyTimeoutSeconds` may go: a gate that waits longer than an hour is a hung deploy. */
export const READY_TIMEOUT_BOUNDS = { min: 1, max: 3600 } as const;
