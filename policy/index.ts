/**
 * The knative-rollout policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`).
 * Only the wiring lives here; every rule is a pure function in rules/, unit-tested by the root
 * suite (policy/policy.test.ts) on the resources the program registers. Every policy is a
 * resource policy: each decides when its resource is registered, in a preview and before the
 * resource is sent in an update (the production rules judge the plan, which comes first).
 */
import { PolicyPack, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    autoscalingAnnotationViolations,
    DEFAULT_ROLLOUT_STEPS,
    imageDigestViolations,
    JUDGED,
    POLICY_NAMES,
    PolicyResource,
    productionMinScaleViolations,
    productionRolloutStepViolations,
    productionStableVersionViolations,
    revisionNameViolations,
    trafficPercentViolations,
} from "./rules";

type Rule = (resource: PolicyResource, args: ResourceValidationArgs) => Iterable<string>;

/** A mandatory resource policy over the given types; reports each message as the rule yields it. */
function resourcePolicy(name: string, description: string, types: string[], rule: Rule, extra: Partial<ResourceValidationPolicy> = {}): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        ...extra,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (!types.includes(args.type)) return;
            for (const message of rule({ type: args.type, name: args.name, props: args.props, urn: args.urn }, args)) {
                reportViolation(message);
            }
        },
    };
}

const KNATIVE = [JUDGED.plan, JUDGED.service, JUDGED.servicePatch, JUDGED.bootstrap];

export const policies = [
    resourcePolicy(POLICY_NAMES.trafficPercents, "Knative traffic percents are integers 0..100 that sum to exactly 100.", KNATIVE, trafficPercentViolations),
    resourcePolicy(POLICY_NAMES.revisionNames, "Pinned revision names and revision template names start with '<service name>-'.", KNATIVE, revisionNameViolations),
    resourcePolicy(
        POLICY_NAMES.imageDigests,
        "Every container image of a revision template is referenced by digest (@sha256:<64 hex>).",
        [JUDGED.service, JUDGED.bootstrap],
        imageDigestViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.autoscalingAnnotations,
        "Autoscaling annotations are spelled as Knative reads them (autoscaling.knative.dev/<kebab-case>) and sit on the revision template.",
        KNATIVE,
        autoscalingAnnotationViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.productionStableVersion,
        "A production rollout pins a stable revision (traffic tagged 'current'): set stableVersion.",
        [JUDGED.plan],
        productionStableVersionViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.productionMinScale,
        "A production rollout's revision template has autoscaling.knative.dev/min-scale >= 1.",
        [JUDGED.plan],
        productionMinScaleViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.productionRolloutSteps,
        "A production candidate's traffic percent is one of the allowed rollout steps.",
        [JUDGED.plan],
        (resource, args) =>
            productionRolloutStepViolations(resource, args.getConfig<{ rolloutSteps?: number[] }>().rolloutSteps ?? DEFAULT_ROLLOUT_STEPS),
        {
            configSchema: {
                properties: {
                    rolloutSteps: {
                        type: "array",
                        items: { type: "integer", minimum: 0, maximum: 100 },
                        minItems: 1,
                        uniqueItems: true,
                        default: [...DEFAULT_ROLLOUT_STEPS],
                        description: "Allowed candidate percents in production when the stack sets no allowedRolloutSteps.",
                    },
                },
            },
        },
    ),
];

export const pack = new PolicyPack("knative-rollout", {
    description: "Checks the knative-rollout program's rollout plan, Knative Service, traffic patch and bootstrap before anything is sent.",
    enforcementLevel: "mandatory",
    policies,
});
