/**
 * The policy pack's rules, as pure functions over plain resource objects. Nothing here imports
 * `@pulumi/policy`, so the root test suite runs these functions on the resources the program
 * registers under Pulumi's mocks; `index.ts` only wires them into a PolicyPack.
 *
 * Each rule is a generator of messages: the pack reports each one as it is produced. During a
 * preview the pack hands the rules objects whose not-yet-known values throw when read (Pulumi's
 * unknown-checking proxy); whatever a rule reported before reaching one is kept, and the rest of
 * that policy is reported by Pulumi as "can't run during preview" and runs again at `pulumi up`.
 */

/** Type tokens of what the program registers (tests/mocks.ts TYPES). */
export const TYPES = {
    service: "kubernetes:serving.knative.dev/v1:Service",
    servicePatch: "kubernetes:serving.knative.dev/v1:ServicePatch",
    bootstrap: "pulumi-nodejs:dynamic/knative-rollout:ServiceBootstrap",
} as const;

/** One resource as a policy sees it: inputs for resource policies, outputs for stack policies. */
export interface PolicyResource {
    type: string;
    name: string;
    props: Record<string, any>;
    urn?: string;
}

/** A stack policy's finding, attached to a resource when one is to blame. */
export interface Violation {
    message: string;
    urn?: string;
}

export const ENVIRONMENT_LABEL = "knative-rollout.dev/environment";
export const PRODUCTION = "production";
export const ALLOWED_STEPS_ANNOTATION = "knative-rollout.dev/allowed-rollout-steps";
export const DEFAULT_ROLLOUT_STEPS: readonly number[] = [0, 10, 25, 50, 100];

export const AUTOSCALING_DOMAIN = "autoscaling.knative.dev";
/**
 * Every annotation Knative Serving reads under autoscaling.knative.dev (serving
 * pkg/apis/autoscaling/register.go, module knative.dev/serving v0.47, the 1.20 line).
 */
export const KNOWN_AUTOSCALING_ANNOTATIONS: readonly string[] = [
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
];
/** The old camelCase keys register.go still reads as lower-priority synonyms; we ask for kebab-case. */
export const CAMEL_CASE_AUTOSCALING_ANNOTATIONS: Readonly<Record<string, string>> = {
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
};
export const MIN_SCALE_ANNOTATION = `${AUTOSCALING_DOMAIN}/min-scale`;

const DIGEST_PINNED = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

/** Policy names, one per rule; `index.ts` and the README use these. */
export const POLICY_NAMES = {
    trafficPercents: "knative-traffic-percents-sum-to-100",
    revisionNames: "knative-revision-names-prefixed-by-service",
    imageDigests: "knative-images-pinned-by-digest",
    autoscalingAnnotations: "knative-autoscaling-annotations-valid",
    productionStableVersion: "production-requires-stable-version",
    productionMinScale: "production-requires-min-scale",
    productionRolloutSteps: "production-rollout-percent-is-allowed-step",
} as const;

// ---------------------------------------------------------------------------------------------
// helpers

function isObject(value: unknown): value is Record<string, any> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function what(resource: PolicyResource): string {
    const kind = resource.type === TYPES.servicePatch ? "traffic patch of Service" : resource.type === TYPES.bootstrap ? "bootstrap of Service" : "Service";
    const props = resource.props;
    const name = resource.type === TYPES.bootstrap ? props.serviceName : props.metadata?.name;
    const namespace = resource.type === TYPES.bootstrap ? props.namespace : props.metadata?.namespace;
    const where = typeof namespace === "string" && namespace !== "" ? `${namespace}/${name}` : `${name}`;
    return `${kind} ${where} (resource ${resource.name})`;
}

function describeTarget(target: any, index: number): string {
    if (!isObject(target)) return `spec.traffic[${index}]`;
    const who = typeof target.revisionName === "string" ? target.revisionName : target.latestRevision === true ? "latestRevision" : "?";
    return `spec.traffic[${index}] (${who}${typeof target.tag === "string" ? `, tag ${target.tag}` : ""})`;
}

/** A resource's revision templates with the path they sit at, for the template rules. */
function templatesOf(resource: PolicyResource): { path: string; template: any }[] {
    if (resource.type === TYPES.bootstrap) {
        return resource.props.stableTemplate === undefined ? [] : [{ path: "stableTemplate", template: resource.props.stableTemplate }];
    }
    const template = resource.props.spec?.template;
    return template === undefined ? [] : [{ path: "spec.template", template }];
}

/** The Service name revision names must be prefixed by. */
function serviceNameOf(resource: PolicyResource): unknown {
    return resource.type === TYPES.bootstrap ? resource.props.serviceName : resource.props.metadata?.name;
}

// ---------------------------------------------------------------------------------------------
// 1. traffic percents

/** `spec.traffic` percents are integers 0..100 summing to exactly 100 (Knative's route validation). */
export function* trafficPercentViolations(resource: PolicyResource): Generator<string> {
    if (resource.type !== TYPES.service && resource.type !== TYPES.servicePatch) return;
    const traffic = resource.props.spec?.traffic;
    if (traffic === undefined) return; // the Service's template manager carries no traffic
    if (!Array.isArray(traffic)) {
        yield `${what(resource)}: spec.traffic must be a list of traffic targets, got ${typeof traffic}.`;
        return;
    }
    let sum = 0;
    let allValid = true;
    const shares: string[] = [];
    for (let i = 0; i < traffic.length; i++) {
        const target = traffic[i];
        // Knative reads a missing percent as 0.
        const percent = isObject(target) && target.percent !== undefined && target.percent !== null ? target.percent : 0;
        if (typeof percent !== "number" || !Number.isInteger(percent) || percent < 0 || percent > 100) {
            allValid = false;
            yield (
                `${what(resource)}: ${describeTarget(target, i)} has percent ${JSON.stringify(percent)}; ` +
                `each percent must be an integer from 0 to 100. Set rolloutPercent to an integer 0..100 ` +
                `(the stable revision gets 100 - rolloutPercent).`
            );
            continue;
        }
        sum += percent;
        shares.push(`${isObject(target) ? target.revisionName ?? target.tag ?? "latest" : "?"} ${percent}`);
    }
    if (allValid && sum !== 100) {
        yield (
            `${what(resource)}: spec.traffic percents sum to ${sum} (${shares.join(", ")}), want exactly 100; ` +
            `Knative rejects any other total. Give the stable revision 100 - rolloutPercent and the candidate rolloutPercent, ` +
            `or without stableVersion give the candidate 100.`
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. revision names

/** Pinned revision names and template names start with `<service>-` (Knative's BYO-name rule). */
export function* revisionNameViolations(resource: PolicyResource): Generator<string> {
    if (resource.type !== TYPES.service && resource.type !== TYPES.servicePatch && resource.type !== TYPES.bootstrap) return;
    const service = serviceNameOf(resource);
    if (typeof service !== "string" || service === "") {
        yield `${what(resource)}: the Service has no name, so its revision names cannot be checked; set metadata.name.`;
        return;
    }
    const prefix = `${service}-`;
    const check = (path: string, name: unknown, fix: string): string | undefined => {
        if (typeof name === "string" && name.startsWith(prefix) && name.length > prefix.length) return undefined;
        return (
            `${what(resource)}: ${path} is ${JSON.stringify(name)}, which does not start with "${prefix}"; ` +
            `Knative accepts and routes to only revisions named "${prefix}<version>". ${fix}`
        );
    };
    for (const { path, template } of templatesOf(resource)) {
        const name = template?.metadata?.name;
        if (name === undefined) continue; // a generated name: nothing pinned to check
        const message = check(`${path}.metadata.name`, name, `Build the name with naming.revisionName(serviceName, version).`);
        if (message) yield message;
    }
    const traffic = resource.type === TYPES.bootstrap ? undefined : resource.props.spec?.traffic;
    if (Array.isArray(traffic)) {
        for (let i = 0; i < traffic.length; i++) {
            const target = traffic[i];
            if (!isObject(target) || target.revisionName === undefined) continue; // latestRevision entries name nothing
            const message = check(
                `spec.traffic[${i}].revisionName`,
                target.revisionName,
                `Set stableVersion/candidateVersion (the program names revisions ${prefix}<version>) rather than naming revisions by hand.`,
            );
            if (message) yield message;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. digest-pinned images

/** Every container image of a revision template is `repo[:tag]@sha256:<64 hex>`. */
export function* imageDigestViolations(resource: PolicyResource): Generator<string> {
    if (resource.type !== TYPES.service && resource.type !== TYPES.bootstrap) return;
    for (const { path, template } of templatesOf(resource)) {
        for (const list of ["containers", "initContainers"]) {
            const containers = template?.spec?.[list];
            if (!Array.isArray(containers)) continue;
            for (let i = 0; i < containers.length; i++) {
                const image = containers[i]?.image;
                if (typeof image === "string" && DIGEST_PINNED.test(image)) continue;
                yield (
                    `${what(resource)}: ${path}.spec.${list}[${i}].image is ${JSON.stringify(image)}, not pinned by digest; ` +
                    `use "<repository>[:tag]@sha256:<64 hex digits>" (the image's pushed ref): a tag can move, and then the ` +
                    `same revision name would stand for different code.`
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. autoscaling annotations

/** Whether an annotation key is meant for Knative's autoscaler (spelled right or not). */
export function isAutoscalingKey(key: string): boolean {
    return key.toLowerCase().includes("autoscaling.");
}

/** What is wrong with an autoscaling annotation key's spelling, or undefined when it is right. */
export function autoscalingKeyProblem(key: string): string | undefined {
    if (!isAutoscalingKey(key)) return undefined;
    const slash = key.indexOf("/");
    const domain = slash < 0 ? key : key.slice(0, slash);
    const name = slash < 0 ? "" : key.slice(slash + 1);
    const suggestion = suggestAutoscalingName(name);
    if (domain !== AUTOSCALING_DOMAIN) {
        const fixed = suggestion ?? (name || "<name>");
        return `annotation "${key}" is not in the "${AUTOSCALING_DOMAIN}" domain, so Knative ignores it; rename it to "${AUTOSCALING_DOMAIN}/${fixed}".`;
    }
    if (KNOWN_AUTOSCALING_ANNOTATIONS.includes(name)) return undefined;
    if (CAMEL_CASE_AUTOSCALING_ANNOTATIONS[name] !== undefined) {
        return `annotation "${key}" is the old camelCase spelling; use "${AUTOSCALING_DOMAIN}/${CAMEL_CASE_AUTOSCALING_ANNOTATIONS[name]}" (the kebab-case key takes precedence, so both together disagree silently).`;
    }
    return (
        `annotation "${key}" is not one Knative reads, so it has no effect; ` +
        (suggestion ? `did you mean "${AUTOSCALING_DOMAIN}/${suggestion}"? ` : "") +
        `Known: ${KNOWN_AUTOSCALING_ANNOTATIONS.join(", ")}.`
    );
}

/** The known annotation name a misspelt one most likely means (case, dashes and underscores aside). */
function suggestAutoscalingName(name: string): string | undefined {
    const squash = (s: string) => s.toLowerCase().replace(/[-_.]/g, "");
    if (KNOWN_AUTOSCALING_ANNOTATIONS.includes(name)) return name;
    return KNOWN_AUTOSCALING_ANNOTATIONS.find((known) => squash(known) === squash(name));
}

/**
 * Autoscaling annotations are spelled as Knative reads them and sit on the revision template:
 * on a Service's (or the traffic patch's) own metadata Knative's webhook rejects them.
 */
export function* autoscalingAnnotationViolations(resource: PolicyResource): Generator<string> {
    if (resource.type !== TYPES.service && resource.type !== TYPES.servicePatch && resource.type !== TYPES.bootstrap) return;
    if (resource.type !== TYPES.bootstrap) {
        const annotations = resource.props.metadata?.annotations;
        if (isObject(annotations)) {
            for (const key of Object.keys(annotations)) {
                if (!isAutoscalingKey(key)) continue;
                yield (
                    `${what(resource)}: autoscaling annotation "${key}" is on the Service's own metadata.annotations; ` +
                    `Knative reads autoscaling only from spec.template.metadata.annotations (and rejects it here). ` +
                    `Move it to the revision template (config key autoscaling: pulumi config set --path autoscaling.<key> <value>).`
                );
                const problem = autoscalingKeyProblem(key);
                if (problem) yield `${what(resource)}: metadata.annotations: ${problem}`;
            }
        }
    }
    for (const { path, template } of templatesOf(resource)) {
        const annotations = template?.metadata?.annotations;
        if (!isObject(annotations)) continue;
        for (const key of Object.keys(annotations)) {
            const problem = autoscalingKeyProblem(key);
            if (problem) yield `${what(resource)}: ${path}.metadata.annotations: ${problem}`;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. production (stack policies: they need the Service and its traffic patch together)

/** A Knative Service of the stack, with the resources that make it up. */
export interface ServiceGroup {
    namespace: string;
    name: string;
    service?: PolicyResource;
    patch?: PolicyResource;
    production: boolean;
}

function labelsOf(resource?: PolicyResource): Record<string, any> {
    const labels = resource?.props.metadata?.labels;
    return isObject(labels) ? labels : {};
}

/** The stack's Knative Services (Service and ServicePatch joined by namespace/name). */
export function serviceGroups(resources: readonly PolicyResource[]): ServiceGroup[] {
    const groups = new Map<string, ServiceGroup>();
    for (const resource of resources) {
        if (resource.type !== TYPES.service && resource.type !== TYPES.servicePatch) continue;
        const namespace = String(resource.props.metadata?.namespace ?? "");
        const name = String(resource.props.metadata?.name ?? "");
        const key = `${namespace}/${name}`;
        const group = groups.get(key) ?? { namespace, name, production: false };
        if (resource.type === TYPES.service) group.service = resource;
        else group.patch = resource;
        groups.set(key, group);
    }
    for (const group of groups.values()) {
        group.production = [group.service, group.patch].some((r) => labelsOf(r)[ENVIRONMENT_LABEL] === PRODUCTION);
    }
    return [...groups.values()];
}

function productionName(group: ServiceGroup): string {
    return `production Service ${group.namespace}/${group.name} (label ${ENVIRONMENT_LABEL}: ${PRODUCTION})`;
}

/** The traffic the group applies: the patch's (the program's), else the Service's own. */
function trafficOf(group: ServiceGroup): any[] | undefined {
    const traffic = group.patch?.props.spec?.traffic ?? group.service?.props.spec?.traffic;
    return Array.isArray(traffic) ? traffic : undefined;
}

function urnOf(...resources: (PolicyResource | undefined)[]): string | undefined {
    return resources.find((r) => r?.urn !== undefined)?.urn;
}

/** In production a stable revision is pinned (traffic tagged `current`), so a rollback has a target. */
export function* productionStableVersionViolations(resources: readonly PolicyResource[]): Generator<Violation> {
    for (const group of serviceGroups(resources)) {
        if (!group.production) continue;
        const traffic = trafficOf(group) ?? [];
        const current = traffic.find((t) => isObject(t) && t.tag === "current");
        if (current && typeof current.revisionName === "string" && current.revisionName !== "") continue;
        yield {
            message:
                `${productionName(group)}: its traffic has no revision tagged "current", so there is no stable revision to roll back to. ` +
                `Set stableVersion to the version now serving (pulumi config set stableVersion <version>).`,
            urn: urnOf(group.patch, group.service),
        };
    }
}

/** In production the template keeps at least one pod: `autoscaling.knative.dev/min-scale` >= 1. */
export function* productionMinScaleViolations(resources: readonly PolicyResource[]): Generator<Violation> {
    for (const group of serviceGroups(resources)) {
        if (!group.production || group.service === undefined) continue;
        const annotations = group.service.props.spec?.template?.metadata?.annotations;
        const raw = isObject(annotations) ? annotations[MIN_SCALE_ANNOTATION] : undefined;
        const value = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
        if (Number.isInteger(value) && value >= 1) continue;
        yield {
            message:
                `${productionName(group)}: ${raw === undefined ? `the revision template has no "${MIN_SCALE_ANNOTATION}"` : `"${MIN_SCALE_ANNOTATION}" is ${JSON.stringify(raw)}`}; ` +
                `production needs at least 1 so the first request after a quiet period does not wait for a cold start. ` +
                `Set it with: pulumi config set --path autoscaling.minScale 1 (a template change: ship it as a new candidateVersion).`,
            urn: urnOf(group.service),
        };
    }
}

/** Parses the allowed-steps annotation: comma-separated integers 0..100. */
export function parseRolloutSteps(text: string): number[] | string {
    const parts = text.split(",").map((s) => s.trim());
    const bad = parts.filter((p) => !/^\d+$/.test(p) || Number(p) > 100);
    if (parts.length === 0 || bad.length > 0) {
        return `"${ALLOWED_STEPS_ANNOTATION}: ${text}" must be comma-separated integers 0..100 (e.g. "0,10,25,50,100"); bad: ${bad.map((b) => JSON.stringify(b)).join(", ")}`;
    }
    return parts.map(Number);
}

/**
 * In production the candidate's share is one of the allowed steps: from the Service's
 * `knative-rollout.dev/allowed-rollout-steps` annotation, else from the policy config `rolloutSteps`.
 */
export function* productionRolloutStepViolations(
    resources: readonly PolicyResource[],
    configSteps: readonly number[] = DEFAULT_ROLLOUT_STEPS,
): Generator<Violation> {
    for (const group of serviceGroups(resources)) {
        if (!group.production) continue;
        const urn = urnOf(group.patch, group.service);
        const annotated = [group.service, group.patch]
            .map((r) => r?.props.metadata?.annotations)
            .map((a) => (isObject(a) ? a[ALLOWED_STEPS_ANNOTATION] : undefined))
            .find((v) => v !== undefined);
        let steps: readonly number[] = configSteps;
        let source = `the policy pack's config rolloutSteps`;
        if (annotated !== undefined) {
            const parsed = parseRolloutSteps(String(annotated));
            if (typeof parsed === "string") {
                yield { message: `${productionName(group)}: ${parsed}. Fix the stack config allowedRolloutSteps.`, urn };
                continue;
            }
            steps = parsed;
            source = `annotation ${ALLOWED_STEPS_ANNOTATION} (stack config allowedRolloutSteps)`;
        }
        const candidate = (trafficOf(group) ?? []).find((t) => isObject(t) && t.tag === "candidate");
        if (candidate === undefined) {
            yield { message: `${productionName(group)}: its traffic has no entry tagged "candidate", so the rollout step cannot be checked; set candidateVersion and rolloutPercent.`, urn };
            continue;
        }
        const percent = candidate.percent ?? 0;
        if (steps.includes(percent)) continue;
        yield {
            message:
                `${productionName(group)}: the candidate ${candidate.revisionName ?? ""} gets ${percent}%, which is not an allowed production rollout step ` +
                `(${steps.join(", ")}, from ${source}). Set rolloutPercent to one of them.`,
            urn,
        };
    }
}
