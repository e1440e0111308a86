/**
 * ServiceBootstrap: carries out model/bootstrap.ts against the cluster. On the first run it
 * creates the Service with the stable template and 100% of traffic pinned to it; on every later
 * run its diff reads the cluster again, so a stable revision that went away or a Service deleted
 * out of band makes it act (or fail clearly) before the Service resource moves.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    bootstrapService,
    decideBootstrap,
    FIELD_MANAGERS,
    DYNAMIC_TYPE_NAMES,
    type ObservedCluster,
    PROJECT,
    type RevisionTemplate,
    type TemplateWith,
} from "../../model";
import type { ClusterAccess } from "./kube";
import { customObjectsApi, getKnative, patchKnative, sleep, withoutUndefined } from "./kube";

export interface ServiceBootstrapInputs extends ClusterAccess {
    namespace: string;
    serviceName: string;
    stableTemplate: RevisionTemplate;
    /** How long to wait for Knative to create the stable revision. */
    timeoutSeconds: number;
}

type Outcome = "created-service" | "found-revision";

async function observe(inputs: ServiceBootstrapInputs): Promise<ObservedCluster> {
    const api = customObjectsApi(inputs);
    return {
        service: await getKnative(api, "services", inputs.namespace, inputs.serviceName),
        stableRevision: await getKnative(api, "revisions", inputs.namespace, inputs.stableTemplate.metadata!.name!),
    };
}

/** Whether the cluster needs the bootstrap to act (or to fail) now. */
async function needsAction(inputs: ServiceBootstrapInputs): Promise<boolean> {
    const observed = await observe(inputs);
    const want = { namespace: inputs.namespace, serviceName: inputs.serviceName, stableRevision: inputs.stableTemplate.metadata!.name! };
    return decideBootstrap(observed, want).action !== "none";
}

/** Runs the decision against the cluster and carries it out. Returns what was done. */
export async function runBootstrap(inputs: ServiceBootstrapInputs): Promise<Outcome> {
    const api = customObjectsApi(inputs);
    const stableRevision = inputs.stableTemplate.metadata!.name!;
    const want = { namespace: inputs.namespace, serviceName: inputs.serviceName, stableRevision };
    const deadline = Date.now() + inputs.timeoutSeconds * 1000;
    let created = false;
    for (;;) {
        const observed = await observe(inputs);
        const decision = decideBootstrap(observed, want);
        switch (decision.action) {
            case "none":
                return created ? "created-service" : "found-revision";
            case "fail":
                throw new Error(decision.message);
            case "create-service":
                await patchKnative(api, "services", bootstrapService(inputs) as never, { apply: FIELD_MANAGERS.bootstrap });
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
        // Moving to another namespace or name means another Service: bootstrap it from scratch.
        const replaces = olds.namespace !== news.namespace || olds.serviceName !== news.serviceName ? ["serviceName"] : [];
        const changed =
            replaces.length > 0 ||
            olds.stableTemplate?.metadata?.name !== news.stableTemplate?.metadata?.name ||
            // The re-check: read the cluster on every run, not only when the inputs changed.
            (await needsAction(news));
        return { changes: changed, replaces, deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: ServiceBootstrapInputs, news: ServiceBootstrapInputs) {
        // A new stableVersion (promotion, rollback), or a cluster that changed under the stack:
        // check the stable revision exists, and re-create the Service from it when it is gone.
        const outcome = await runBootstrap(news);
        return { outs: withoutUndefined({ ...news, outcome }) };
    },
    // Deleting the bootstrap record leaves the cluster alone: the Service resource owns the object.
};

export interface ServiceBootstrapArgs {
    namespace: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    /** The stable revision's template; its image may be the build's Output (resolved before create). */
    stableTemplate: TemplateWith<pulumi.Input<string>>;
    timeoutSeconds: pulumi.Input<number>;
    kubeconfig?: pulumi.Input<string>;
    context?: pulumi.Input<string>;
}

export class ServiceBootstrap extends pulumi.dynamic.Resource {
    /** `created-service` on the run that created the Service, else `found-revision`. */
    declare readonly outcome: pulumi.Output<string>;

    constructor(name: string, args: ServiceBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(bootstrapProvider, name, { ...args, outcome: undefined }, opts, PROJECT, DYNAMIC_TYPE_NAMES.bootstrap);
    }
}
