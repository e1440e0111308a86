/**
 * Bootstrap: Knative creates one revision per apply (the template's), and a split may name only
 * revisions that exist or the template's own. On a cluster where the Service does not exist yet,
 * the stable revision is therefore created first, by creating the Service with the stable
 * template and 100% of traffic pinned to it; the Service resource then takes the object over
 * and rolls the candidate in. This is the order of Knative's own BYO-name e2e test
 * (test/e2e/rollback_byo_test.go). On every later run the same resource re-checks, before the
 * Service is touched, that the stable revision a stack names still exists.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterAccess, KnativeObject } from "./kube";
import { customObjectsApi, getKnative, KNATIVE_SERVING, sleep, withoutUndefined } from "./kube";
import type { RevisionTemplate } from "./template";

export const BOOTSTRAP_FIELD_MANAGER = "knative-rollout-bootstrap";

export type BootstrapDecision =
    | { action: "create-service" }
    | { action: "none" }
    | { action: "wait-for-revision" }
    | { action: "fail"; message: string };

export interface ObservedCluster {
    /** The Service as it is, undefined when absent. */
    service?: KnativeObject;
    /** The stable revision as it is, undefined when absent. */
    stableRevision?: KnativeObject;
}

/** What the bootstrap must do, from what the cluster holds. Pure, so every branch is tested. */
export function decideBootstrap(
    observed: ObservedCluster,
    want: { namespace: string; serviceName: string; stableRevision: string },
): BootstrapDecision {
    const { service, stableRevision } = observed;
    const where = `${want.namespace}/${want.serviceName}`;
    if (service === undefined) {
        return { action: "create-service" };
    }
    if (stableRevision !== undefined) {
        const owner = stableRevision.metadata?.labels?.["serving.knative.dev/service"];
        if (owner !== undefined && owner !== want.serviceName) {
            return {
                action: "fail",
                message: `Revision ${want.namespace}/${want.stableRevision} belongs to Service "${owner}", not "${want.serviceName}"; Knative will not route to it (RevisionNotOwned). Choose another stableVersion or serviceName.`,
            };
        }
        return { action: "none" };
    }
    if (service.spec?.template?.metadata?.name === want.stableRevision) {
        // The Service's own template is the stable one: Knative's controller is creating it.
        return { action: "wait-for-revision" };
    }
    return {
        action: "fail",
        message:
            `Service ${where} exists but its revision ${want.stableRevision} (stableVersion) does not, so traffic cannot be pinned to it. ` +
            `Set stableVersion to a version whose revision exists (kubectl get revisions -n ${want.namespace} -l serving.knative.dev/service=${want.serviceName}), ` +
            `or deploy that version first as candidateVersion with rolloutPercent 0.`,
    };
}

/** The Service the bootstrap creates: the stable template, all traffic pinned to it. */
export function bootstrapService(want: {
    namespace: string;
    serviceName: string;
    stableTemplate: RevisionTemplate;
}): object {
    const stableRevision = want.stableTemplate.metadata!.name!;
    return {
        apiVersion: `${KNATIVE_SERVING.group}/${KNATIVE_SERVING.version}`,
        kind: "Service",
        metadata: { name: want.serviceName, namespace: want.namespace },
        spec: {
            template: want.stableTemplate,
            traffic: [{ revisionName: stableRevision, percent: 100 }],
        },
    };
}

export interface ServiceBootstrapInputs extends ClusterAccess {
    namespace: string;
    serviceName: string;
    stableTemplate: RevisionTemplate;
    /** How long to wait for Knative to create the stable revision. */
    timeoutSeconds: number;
}

/** Runs the decision against the cluster and carries it out. Returns what was done. */
export async function runBootstrap(inputs: ServiceBootstrapInputs): Promise<"created-service" | "found-revision"> {
    const api = customObjectsApi(inputs);
    const stableRevision = inputs.stableTemplate.metadata!.name!;
    const want = { namespace: inputs.namespace, serviceName: inputs.serviceName, stableRevision };
    const observe = async (): Promise<ObservedCluster> => ({
        service: await getKnative(api, "services", inputs.namespace, inputs.serviceName),
        stableRevision: await getKnative(api, "revisions", inputs.namespace, stableRevision),
    });
    const deadline = Date.now() + inputs.timeoutSeconds * 1000;
    let created = false;
    for (;;) {
        const decision = decideBootstrap(await observe(), want);
        switch (decision.action) {
            case "none":
                return created ? "created-service" : "found-revision";
            case "fail":
                throw new Error(decision.message);
            case "create-service":
                await api.createNamespacedCustomObject({
                    ...KNATIVE_SERVING,
                    plural: "services",
                    namespace: inputs.namespace,
                    body: bootstrapService({ ...inputs, stableTemplate: inputs.stableTemplate }),
                    fieldManager: BOOTSTRAP_FIELD_MANAGER,
                });
                created = true;
                break;
            case "wait-for-revision":
                if (Date.now() > deadline) {
                    throw new Error(
                        `Knative did not create revision ${inputs.namespace}/${stableRevision} within ${inputs.timeoutSeconds}s of bootstrapping Service ${inputs.namespace}/${inputs.serviceName}; ` +
                            `check the Service's conditions (kubectl describe ksvc -n ${inputs.namespace} ${inputs.serviceName}) and that Knative Serving's controller is running.`,
                    );
                }
                await sleep(1000);
                break;
        }
    }
}

const bootstrapProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: ServiceBootstrapInputs) {
        const outcome = await runBootstrap(inputs);
        return { id: `${inputs.namespace}/${inputs.serviceName}`, outs: withoutUndefined({ ...inputs, outcome }) };
    },
    async diff(_id: string, olds: ServiceBootstrapInputs, news: ServiceBootstrapInputs) {
        const changed =
            olds.namespace !== news.namespace ||
            olds.serviceName !== news.serviceName ||
            olds.stableTemplate?.metadata?.name !== news.stableTemplate?.metadata?.name;
        // Moving to another namespace or name means another Service: bootstrap it from scratch.
        const replaces = olds.namespace !== news.namespace || olds.serviceName !== news.serviceName ? ["serviceName"] : [];
        return { changes: changed, replaces, deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: ServiceBootstrapInputs, news: ServiceBootstrapInputs) {
        // A new stableVersion (promotion, rollback): check its revision exists before the Service moves.
        const outcome = await runBootstrap(news);
        return { outs: withoutUndefined({ ...news, outcome }) };
    },
    // Deleting the bootstrap record leaves the cluster alone: the Service resource owns the object.
};

export interface ServiceBootstrapArgs {
    namespace: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    stableTemplate: pulumi.Input<RevisionTemplate>;
    timeoutSeconds: pulumi.Input<number>;
    kubeconfig?: pulumi.Input<string>;
    context?: pulumi.Input<string>;
}

export class ServiceBootstrap extends pulumi.dynamic.Resource {
    /** `created-service` on the run that created the Service, else `found-revision`. */
    declare readonly outcome: pulumi.Output<string>;

    constructor(name: string, args: ServiceBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(bootstrapProvider, name, { ...args, outcome: undefined }, opts, "knative-rollout", "ServiceBootstrap");
    }
}
