/**
 * What every rule shares: a resource as a policy sees it, how to name it in a message, where its
 * revision templates and traffic sit, and how to read a value that a preview may not know yet.
 * The names (types, labels, tags) come from the program's own contract (model/contract.ts).
 */
import { TYPES } from "../../model/contract";

/** One resource as a policy sees it: its inputs. */
export interface PolicyResource {
    type: string;
    name: string;
    props: Record<string, any>;
    urn?: string;
}

/** The resources the rules look at, and what each is. */
export const JUDGED = {
    /** The rollout plan, registered before any other resource (components/knativeRollout.ts). */
    plan: TYPES.rollout,
    service: TYPES.service,
    servicePatch: TYPES.servicePatch,
    bootstrap: TYPES.bootstrap,
} as const;

/** Whether a resource is one the Knative rules judge. */
export function isJudged(resource: PolicyResource): boolean {
    return (Object.values(JUDGED) as string[]).includes(resource.type);
}

export function isObject(value: unknown): value is Record<string, any> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Marks a value a preview does not know yet (an image digest before the build). */
export const UNKNOWN = Symbol("unknown during preview");

/**
 * Reads a value that may be unknown during a preview. The pack hands the rules objects whose
 * unknown values throw Pulumi's UnknownValueError when read; a rule that reads through this
 * decides on what is known instead of being skipped whole. Nothing here imports @pulumi/policy,
 * so the error is recognised by its name.
 */
export function known<T>(read: () => T): T | typeof UNKNOWN {
    try {
        return read();
    } catch (err) {
        if ((err as Error)?.name === "UnknownValueError" || (err as Error)?.constructor?.name === "UnknownValueError") return UNKNOWN;
        throw err;
    }
}

/** The plan carried by the rollout component, or undefined for any other resource. */
export function planOf(resource: PolicyResource): Record<string, any> | undefined {
    return resource.type === JUDGED.plan && isObject(resource.props.plan) ? resource.props.plan : undefined;
}

/** How a message names the resource. */
export function what(resource: PolicyResource): string {
    const props = resource.props;
    const plan = planOf(resource);
    const kind =
        resource.type === JUDGED.servicePatch ? "traffic patch of Service"
        : resource.type === JUDGED.bootstrap ? "bootstrap of Service"
        : resource.type === JUDGED.plan ? "rollout plan of Service"
        : "Service";
    const name = plan ? plan.serviceName : resource.type === JUDGED.bootstrap ? props.serviceName : props.metadata?.name;
    const namespace = plan ? plan.namespace : resource.type === JUDGED.bootstrap ? props.namespace : props.metadata?.namespace;
    const where = typeof namespace === "string" && namespace !== "" ? `${namespace}/${name}` : `${name}`;
    return `${kind} ${where} (resource ${resource.name})`;
}

export function describeTarget(target: any, index: number, path = "spec.traffic"): string {
    if (!isObject(target)) return `${path}[${index}]`;
    const who = typeof target.revisionName === "string" ? target.revisionName : target.latestRevision === true ? "latestRevision" : "?";
    return `${path}[${index}] (${who}${typeof target.tag === "string" ? `, tag ${target.tag}` : ""})`;
}

/** A resource's revision templates with the path they sit at, for the template rules. */
export function templatesOf(resource: PolicyResource): { path: string; template: any }[] {
    const plan = planOf(resource);
    if (plan) {
        return Object.entries(isObject(plan.templates) ? plan.templates : {}).map(([version, template]) => ({ path: `plan.templates.${version}`, template }));
    }
    if (resource.type === JUDGED.bootstrap) {
        return resource.props.stableTemplate === undefined ? [] : [{ path: "stableTemplate", template: resource.props.stableTemplate }];
    }
    const template = resource.props.spec?.template;
    return template === undefined ? [] : [{ path: "spec.template", template }];
}

/** A resource's traffic table with the path it sits at, or undefined when it carries none. */
export function trafficOf(resource: PolicyResource): { path: string; traffic: unknown } | undefined {
    const plan = planOf(resource);
    if (plan) return plan.traffic === undefined ? undefined : { path: "plan.traffic", traffic: plan.traffic };
    if (resource.type === JUDGED.bootstrap) return undefined;
    const traffic = resource.props.spec?.traffic;
    return traffic === undefined ? undefined : { path: "spec.traffic", traffic };
}

/** The Service name revision names must be prefixed by. */
export function serviceNameOf(resource: PolicyResource): unknown {
    const plan = planOf(resource);
    if (plan) return plan.serviceName;
    return resource.type === JUDGED.bootstrap ? resource.props.serviceName : resource.props.metadata?.name;
}
