/**
 * The readiness gate: after the traffic table is applied, waits until the Service is Ready and
 * its live `spec.traffic` is the table this run sent, or fails with a message that names the
 * Service and every revision that is not Ready. It is a separate resource, not the
 * `pulumi.com/waitFor` annotation on the Service, because a failed await leaves a Kubernetes
 * resource with `initErrors`, and the next `pulumi up` would then re-send an unchanged BYO
 * template, which Knative rejects: a failed gate leaves nothing behind but itself, so the next
 * run simply checks again.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterAccess, KnativeObject } from "./kube";
import { customObjectsApi, getKnative, sleep, withoutUndefined } from "./kube";
import type { TrafficTarget } from "./traffic";

export interface ReadinessReport {
    ready: boolean;
    /** One line per thing that is not as it should be; empty when ready. */
    problems: string[];
}

type Condition = NonNullable<NonNullable<KnativeObject["status"]>["conditions"]>[number];

function condition(obj: KnativeObject | undefined, type: string): Condition | undefined {
    return obj?.status?.conditions?.find((c) => c.type === type);
}

function describe(c: Condition | undefined): string {
    if (c === undefined) return "no Ready condition yet";
    return [c.status === "False" ? "failed" : "not ready", c.reason, c.message].filter(Boolean).join(": ");
}

/**
 * Traffic entries compared on what we set. Knative's defaulting writes `latestRevision: false`
 * next to every `revisionName`, and a missing percent means 0.
 */
export function sameTraffic(live: TrafficTarget[] | undefined, want: TrafficTarget[]): boolean {
    const key = (t: TrafficTarget) =>
        JSON.stringify([t.revisionName ?? null, t.latestRevision === true, t.percent ?? 0, t.tag ?? null]);
    return JSON.stringify((live ?? []).map(key)) === JSON.stringify(want.map(key));
}

/** Judges a Service and the revisions its traffic names. Pure, so every message is tested. */
export function assessReadiness(
    where: string,
    service: KnativeObject | undefined,
    revisions: Record<string, KnativeObject | undefined>,
    wantTraffic: TrafficTarget[],
): ReadinessReport {
    if (service === undefined) {
        return { ready: false, problems: [`Service ${where} does not exist`] };
    }
    const problems: string[] = [];
    if (!sameTraffic(service.spec?.traffic, wantTraffic)) {
        problems.push(`Service ${where} has spec.traffic ${JSON.stringify(service.spec?.traffic ?? [])}, not the table this run applied`);
    }
    const generation = service.metadata?.generation;
    const observed = service.status?.observedGeneration;
    if (generation !== undefined && observed !== generation) {
        problems.push(`Service ${where} generation ${generation} is not reconciled yet (observed ${observed ?? "none"})`);
    }
    for (const [name, revision] of Object.entries(revisions)) {
        if (revision === undefined) {
            problems.push(`Revision ${name} does not exist`);
            continue;
        }
        const ready = condition(revision, "Ready");
        if (ready?.status !== "True") {
            problems.push(`Revision ${name} is ${describe(ready)}`);
        }
    }
    const serviceReady = condition(service, "Ready");
    if (serviceReady?.status !== "True" && problems.length === 0) {
        problems.push(`Service ${where} is ${describe(serviceReady)}`);
    }
    return { ready: problems.length === 0, problems };
}

export interface ReadinessGateInputs extends ClusterAccess {
    namespace: string;
    serviceName: string;
    traffic: TrafficTarget[];
    /** Anything whose change must re-run the gate (template name, image digests). */
    revisionKey: string;
    awaitReady: boolean;
    timeoutSeconds: number;
}

export interface ReadinessGateOutputs extends ReadinessGateInputs {
    url?: string;
    tagUrls: Record<string, string>;
    ready: boolean;
}

/** Polls until ready (or once, when awaiting is off) and reports URLs as Knative publishes them. */
export async function awaitReadiness(inputs: ReadinessGateInputs): Promise<ReadinessGateOutputs> {
    const api = customObjectsApi(inputs);
    const where = `${inputs.namespace}/${inputs.serviceName}`;
    const deadline = Date.now() + inputs.timeoutSeconds * 1000;
    const pinned = inputs.traffic.map((t) => t.revisionName).filter((n): n is string => n !== undefined);
    for (;;) {
        const service = await getKnative(api, "services", inputs.namespace, inputs.serviceName);
        const revisions: Record<string, KnativeObject | undefined> = {};
        for (const name of pinned) {
            revisions[name] = await getKnative(api, "revisions", inputs.namespace, name);
        }
        const report = assessReadiness(where, service, revisions, inputs.traffic);
        if (report.ready || !inputs.awaitReady || Date.now() > deadline) {
            if (inputs.awaitReady && !report.ready) {
                throw new Error(
                    `Service ${where} is not Ready after ${inputs.timeoutSeconds}s (readyTimeoutSeconds):\n` +
                        report.problems.map((p) => `  - ${p}`).join("\n") +
                        `\nThe traffic table was applied; Knative keeps the previous split serving until every target is Ready. ` +
                        `Fix the revision and run pulumi up again, or set awaitReady=false to apply without waiting.`,
                );
            }
            const tagUrls: Record<string, string> = {};
            for (const t of service?.status?.traffic ?? []) {
                if (t.tag && t.url) tagUrls[t.tag] = t.url;
            }
            // Outputs cross the wire as a protobuf Struct, which has no `undefined`: drop unset keys.
            return withoutUndefined({ ...inputs, url: service?.status?.url, tagUrls, ready: report.ready });
        }
        await sleep(2000);
    }
}

const readinessProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: ReadinessGateInputs) {
        return { id: `${inputs.namespace}/${inputs.serviceName}`, outs: await awaitReadiness(inputs) };
    },
    async update(_id: string, _olds: ReadinessGateInputs, news: ReadinessGateInputs) {
        return { outs: await awaitReadiness(news) };
    },
};

export interface ReadinessGateArgs {
    namespace: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    traffic: pulumi.Input<TrafficTarget[]>;
    revisionKey: pulumi.Input<string>;
    awaitReady: pulumi.Input<boolean>;
    timeoutSeconds: pulumi.Input<number>;
    kubeconfig?: pulumi.Input<string>;
    context?: pulumi.Input<string>;
}

export class ReadinessGate extends pulumi.dynamic.Resource {
    declare readonly url: pulumi.Output<string | undefined>;
    declare readonly tagUrls: pulumi.Output<Record<string, string>>;
    declare readonly ready: pulumi.Output<boolean>;

    constructor(name: string, args: ReadinessGateArgs, opts?: pulumi.CustomResourceOptions) {
        super(readinessProvider, name, { ...args, url: undefined, tagUrls: undefined, ready: undefined }, opts, "knative-rollout", "ReadinessGate");
    }
}
