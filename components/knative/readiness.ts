/**
 * The readiness gate: after the traffic table is applied, releases what the bootstrap still owns
 * of the Service (model/bootstrap.ts `bootstrapOwnership`: the Service resource has applied its
 * own fields by now), then waits until the Service is Ready and its live `spec.traffic` is the
 * table this run sent (model/readiness.ts judges), or fails with a
 * message that names the Service and every revision that is not Ready. It is a separate
 * resource, not the `pulumi.com/waitFor` annotation on the Service, because a failed await leaves
 * a Kubernetes resource with `initErrors`, and the next `pulumi up` would then re-send an
 * unchanged BYO template, which Knative rejects: a failed gate leaves nothing behind but itself,
 * so the next run simply checks again. Its diff reads the cluster too, so a Service that is not
 * Ready with the table (after an out-of-band change) is waited for even when no input changed.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    assessReadiness,
    bootstrapOwnership,
    condition,
    DYNAMIC_TYPE_NAMES,
    type KnativeObject,
    podProblems,
    type PodStatusLike,
    PROJECT,
    type ReadinessReport,
    tagUrlsOf,
    type TrafficTarget,
} from "../../model";
import type { ClusterAccess } from "./kube";
import { coreApi, customObjectsApi, getKnative, patchKnative, sleep, withoutUndefined } from "./kube";

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

interface Look {
    service?: KnativeObject;
    revisions: Record<string, KnativeObject | undefined>;
    report: ReadinessReport;
}

/** One look at the Service and the revisions its table pins. */
async function look(inputs: ReadinessGateInputs): Promise<Look> {
    const api = customObjectsApi(inputs);
    const service = await getKnative(api, "services", inputs.namespace, inputs.serviceName);
    const revisions: Record<string, KnativeObject | undefined> = {};
    for (const t of inputs.traffic) {
        if (t.revisionName !== undefined) revisions[t.revisionName] = await getKnative(api, "revisions", inputs.namespace, t.revisionName);
    }
    return { service, revisions, report: assessReadiness(`${inputs.namespace}/${inputs.serviceName}`, service, revisions, inputs.traffic) };
}

/**
 * Why the pods of each existing revision that is not Ready are stuck (model/readiness.ts
 * podProblems), read only when the gate is about to fail. Best effort: a cluster that does not
 * let us list pods still gets the revisions' own conditions.
 */
async function podDetails(inputs: ReadinessGateInputs, revisions: Look["revisions"]): Promise<string[]> {
    const api = coreApi(inputs);
    const lines: string[] = [];
    for (const [name, revision] of Object.entries(revisions)) {
        if (revision === undefined || condition(revision, "Ready")?.status === "True") continue;
        try {
            const pods = await api.listNamespacedPod({ namespace: inputs.namespace, labelSelector: `serving.knative.dev/revision=${name}` });
            lines.push(...podProblems(name, pods.items as PodStatusLike[]));
        } catch {
            // Not allowed or not reachable: the conditions above are all there is to say.
        }
    }
    return lines;
}

/** Releases the bootstrap's field ownership, when it still has any. */
async function releaseBootstrap(inputs: ReadinessGateInputs, service: KnativeObject | undefined): Promise<void> {
    const managedFields = bootstrapOwnership(service);
    if (managedFields === undefined) return;
    const metadata = { name: inputs.serviceName, namespace: inputs.namespace, managedFields };
    await patchKnative(customObjectsApi(inputs), "services", { metadata }, "merge");
}

/** Polls until ready (or once, when awaiting is off) and reports URLs as Knative publishes them. */
export async function awaitReadiness(inputs: ReadinessGateInputs): Promise<ReadinessGateOutputs> {
    const where = `${inputs.namespace}/${inputs.serviceName}`;
    const deadline = Date.now() + inputs.timeoutSeconds * 1000;
    await releaseBootstrap(inputs, (await look(inputs)).service);
    for (;;) {
        const { service, revisions, report } = await look(inputs);
        if (report.ready || !inputs.awaitReady || Date.now() > deadline) {
            if (inputs.awaitReady && !report.ready) {
                const problems = [...report.problems, ...(await podDetails(inputs, revisions))];
                throw new Error(
                    `Service ${where} is not Ready after ${inputs.timeoutSeconds}s (readyTimeoutSeconds):\n` +
                        problems.map((p) => `  - ${p}`).join("\n") +
                        `\nThe traffic table was applied; Knative keeps the previous split serving until every target is Ready. ` +
                        `Fix the revision and run pulumi up again, or set awaitReady=false to apply without waiting.`,
                );
            }
            // Outputs cross the wire as a protobuf Struct, which has no `undefined`: drop unset keys.
            return withoutUndefined({ ...inputs, url: service?.status?.url, tagUrls: tagUrlsOf(service), ready: report.ready });
        }
        await sleep(2000);
    }
}

const readinessProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: ReadinessGateInputs) {
        return { id: `${inputs.namespace}/${inputs.serviceName}`, outs: await awaitReadiness(inputs) };
    },
    async diff(_id: string, olds: ReadinessGateOutputs, news: ReadinessGateInputs) {
        const keys: (keyof ReadinessGateInputs)[] = ["namespace", "serviceName", "traffic", "revisionKey", "awaitReady", "timeoutSeconds", "kubeconfig", "context"];
        if (keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]))) return { changes: true };
        // Nothing changed in the program: check the cluster again. The bootstrap may own fields
        // (a stack made by an earlier version, or a Service re-created after an out-of-band
        // delete); and a gate that waits for readiness waits again for a Service that is not Ready.
        const { service, report } = await look(news);
        return { changes: bootstrapOwnership(service) !== undefined || (news.awaitReady && !report.ready) };
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
        super(readinessProvider, name, { ...args, url: undefined, tagUrls: undefined, ready: undefined }, opts, PROJECT, DYNAMIC_TYPE_NAMES.gate);
    }
}
