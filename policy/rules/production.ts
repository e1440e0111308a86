/**
 * The production rules. They judge the rollout plan, which the program registers (as the inputs
 * of its KnativeRollout component) before any other resource, with every value known in a
 * preview: a production change that breaks them is refused by `pulumi preview` and, in `pulumi
 * up`, before the first resource is touched. Production is model/contract.ts `isProduction`, the
 * same rule config applies.
 */
import { AUTOSCALING, DEFAULT_ROLLOUT_STEPS, isProduction, TAGS } from "../../model/contract";
import { isObject, planOf, type PolicyResource } from "./resource";

export { DEFAULT_ROLLOUT_STEPS };

/** The plan of a production stack, with how to name it; undefined for anything else. */
function productionPlan(resource: PolicyResource): { plan: Record<string, any>; name: string } | undefined {
    const plan = planOf(resource);
    if (plan === undefined || !isProduction(plan.environment)) return undefined;
    return { plan, name: `production Service ${plan.namespace}/${plan.serviceName} (environment ${plan.environment})` };
}

const trafficOf = (plan: Record<string, any>): any[] => (Array.isArray(plan.traffic) ? plan.traffic : []);

/** In production a stable revision is pinned (traffic tagged `current`), so a rollback has a target. */
export function* productionStableVersionViolations(resource: PolicyResource): Generator<string> {
    const found = productionPlan(resource);
    if (!found) return;
    const current = trafficOf(found.plan).find((t) => isObject(t) && t.tag === TAGS.stable);
    if (current && typeof current.revisionName === "string" && current.revisionName !== "") return;
    yield (
        `${found.name}: its traffic has no revision tagged "${TAGS.stable}", so there is no stable revision to roll back to. ` +
        `Set stableVersion to the version now serving (pulumi config set stableVersion <version>).`
    );
}

/** In production the candidate's template keeps at least one pod: `autoscaling.knative.dev/min-scale` >= 1. */
export function* productionMinScaleViolations(resource: PolicyResource): Generator<string> {
    const found = productionPlan(resource);
    if (!found) return;
    const version = found.plan.candidate?.version;
    const annotations = found.plan.templates?.[version]?.metadata?.annotations;
    const raw = isObject(annotations) ? annotations[AUTOSCALING.keys.minScale] : undefined;
    const value = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (Number.isInteger(value) && value >= 1) return;
    yield (
        `${found.name}: ${raw === undefined ? `the revision template has no "${AUTOSCALING.keys.minScale}"` : `"${AUTOSCALING.keys.minScale}" is ${JSON.stringify(raw)}`}; ` +
        `production needs at least 1 so the first request after a quiet period does not wait for a cold start. ` +
        `Set it with: pulumi config set --path autoscaling.minScale 1 (a template change: ship it as a new candidateVersion).`
    );
}

/**
 * In production the candidate's share is one of the allowed steps: the stack's
 * `allowedRolloutSteps`, else the policy config `rolloutSteps`.
 */
export function* productionRolloutStepViolations(resource: PolicyResource, configSteps: readonly number[] = DEFAULT_ROLLOUT_STEPS): Generator<string> {
    const found = productionPlan(resource);
    if (!found) return;
    const stackSteps = Array.isArray(found.plan.allowedRolloutSteps) ? (found.plan.allowedRolloutSteps as number[]) : [];
    const [steps, source] =
        stackSteps.length > 0 ? [stackSteps, "the stack's allowedRolloutSteps"] : [configSteps, "the policy pack's config rolloutSteps"];
    const candidate = trafficOf(found.plan).find((t) => isObject(t) && t.tag === TAGS.candidate);
    if (candidate === undefined) {
        yield `${found.name}: its traffic has no entry tagged "${TAGS.candidate}", so the rollout step cannot be checked; set candidateVersion and rolloutPercent.`;
        return;
    }
    const percent = candidate.percent ?? 0;
    if (steps.includes(percent)) return;
    yield (
        `${found.name}: the candidate ${candidate.revisionName ?? ""} gets ${percent}%, which is not an allowed production rollout step ` +
        `(${steps.join(", ")}, from ${source}). Set rolloutPercent to one of them.`
    );
}
