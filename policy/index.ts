/**
 * The knative-rollout policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`).
 * Only the wiring lives here; every rule is a pure function in rules.ts, unit-tested by the root
 * suite (tests/policy.test.ts) on the resources the program registers.
 */
import { PolicyPack, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import {
    autoscalingAnnotationViolations,
    DEFAULT_ROLLOUT_STEPS,
    imageDigestViolations,
    POLICY_NAMES,
    PolicyResource,
    productionMinScaleViolations,
    productionRolloutStepViolations,
    productionStableVersionViolations,
    revisionNameViolations,
    trafficPercentViolations,
    TYPES,
    Violation,
} from "./rules";

type ResourceRule = (resource: PolicyResource) => Iterable<string>;
type StackRule = (resources: PolicyResource[], args: StackValidationArgs) => Iterable<Violation>;

/** A mandatory resource policy over the given types; reports each message as the rule yields it. */
function resourcePolicy(name: string, description: string, types: string[], rule: ResourceRule): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (!types.includes(args.type)) return;
            for (const message of rule({ type: args.type, name: args.name, props: args.props, urn: args.urn })) {
                reportViolation(message);
            }
        },
    };
}

function stackPolicy(name: string, description: string, rule: StackRule, extra: Partial<StackValidationPolicy> = {}): StackValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        ...extra,
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const resources = args.resources
                .filter((r) => r.type === TYPES.service || r.type === TYPES.servicePatch)
                .map((r) => ({ type: r.type, name: r.name, props: r.props, urn: r.urn }));
            for (const violation of rule(resources, args)) reportViolation(violation.message, violation.urn);
        },
    };
}

export const policies = [
    resourcePolicy(
        POLICY_NAMES.trafficPercents,
        "Knative traffic percents are integers 0..100 that sum to exactly 100.",
        [TYPES.service, TYPES.servicePatch],
        trafficPercentViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.revisionNames,
        "Pinned revision names and revision template names start with '<service name>-'.",
        [TYPES.service, TYPES.servicePatch, TYPES.bootstrap],
        revisionNameViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.imageDigests,
        "Every container image of a revision template is referenced by digest (@sha256:<64 hex>).",
        [TYPES.service, TYPES.bootstrap],
        imageDigestViolations,
    ),
    resourcePolicy(
        POLICY_NAMES.autoscalingAnnotations,
        "Autoscaling annotations are spelled as Knative reads them (autoscaling.knative.dev/<kebab-case>) and sit on the revision template.",
        [TYPES.service, TYPES.servicePatch, TYPES.bootstrap],
        autoscalingAnnotationViolations,
    ),
    stackPolicy(
        POLICY_NAMES.productionStableVersion,
        "A production Service pins a stable revision (traffic tagged 'current'): set stableVersion.",
        productionStableVersionViolations,
    ),
    stackPolicy(
        POLICY_NAMES.productionMinScale,
        "A production Service's revision template has autoscaling.knative.dev/min-scale >= 1.",
        productionMinScaleViolations,
    ),
    stackPolicy(
        POLICY_NAMES.productionRolloutSteps,
        "A production candidate's traffic percent is one of the allowed rollout steps.",
        (resources, args) =>
            productionRolloutStepViolations(resources, args.getConfig<{ rolloutSteps?: number[] }>().rolloutSteps ?? DEFAULT_ROLLOUT_STEPS),
        {
            configSchema: {
                properties: {
                    rolloutSteps: {
                        type: "array",
                        items: { type: "integer", minimum: 0, maximum: 100 },
                        minItems: 1,
                        uniqueItems: true,
                        default: [...DEFAULT_ROLLOUT_STEPS],
                        description:
                            "Allowed candidate percents in production when the Service has no knative-rollout.dev/allowed-rollout-steps annotation.",
                    },
                },
            },
        },
    ),
];

export const pack = new PolicyPack("knative-rollout", {
    description: "Checks the knative-rollout program's Knative Service, traffic patch and bootstrap before anything is sent.",
    enforcementLevel: "mandatory",
    policies,
});
