/**
 * The namespace: created and owned by the stack, or (with `useExistingNamespace`) an existing
 * one used as it is. Either way a NamespaceClaim checks the cluster first, in the preview and the
 * update that claim it (a new stack, a new `namespace` or `useExistingNamespace`), because the
 * pinned kubernetes provider silently adopts an object that already exists on create, and a later
 * `pulumi destroy` (or a namespace change) would delete it with everything in it:
 * - to create: the namespace must not exist, unless this stack created it (its owner annotation);
 * - to use as it is: it must exist; the program then never changes or deletes it.
 * System namespaces are refused earlier, by config (model/contract.ts `isSystemNamespace`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ANNOTATIONS, DYNAMIC_TYPE_NAMES, type NamespaceClaim, namespaceClaimProblem, type NamespaceObject, PROJECT } from "../model";
import type { ClusterAccess } from "./knative/kube";
import { coreApi, getNamespace } from "./knative/kube";

export interface NamespaceClaimInputs extends NamespaceClaim, ClusterAccess {}

async function claimProblem(olds: Partial<NamespaceClaimInputs>, news: NamespaceClaimInputs): Promise<string | undefined> {
    // Claimed before, the same way: nothing to learn from the cluster (and no client to load).
    if (olds.name === news.name && olds.mode === news.mode) return undefined;
    const live = (await getNamespace(coreApi(news), news.name)) as NamespaceObject | undefined;
    return namespaceClaimProblem(olds, news, live);
}

const namespaceClaimProvider: pulumi.dynamic.ResourceProvider = {
    // check runs in every preview and update, before anything of the stack is sent.
    async check(olds: Partial<NamespaceClaimInputs>, news: NamespaceClaimInputs) {
        const problem = await claimProblem(olds, news);
        return { inputs: news, failures: problem ? [{ property: "name", reason: problem }] : [] };
    },
    async create(inputs: NamespaceClaimInputs) {
        return { id: inputs.name, outs: inputs };
    },
    async diff(_id: string, olds: NamespaceClaimInputs, news: NamespaceClaimInputs) {
        return { changes: olds.name !== news.name || olds.mode !== news.mode, replaces: olds.name !== news.name ? ["name"] : [] };
    },
    async update(_id: string, _olds: NamespaceClaimInputs, news: NamespaceClaimInputs) {
        return { outs: news };
    },
    // Deleting the claim never touches the namespace: the Namespace resource, if any, owns it.
};

export interface NamespaceArgs {
    name: string;
    useExisting: boolean;
    /** Unset: manifests are only rendered, there is no cluster to check. */
    cluster?: { kubeconfig?: pulumi.Input<string>; context?: string };
}

/** The namespace the Service goes into: its name, once the claim (and the Namespace resource, when created) are done. */
export function stackNamespace(args: NamespaceArgs, opts: { parent: pulumi.Resource; provider: k8s.Provider }): { name: pulumi.Output<string>; resources: pulumi.Resource[] } {
    const owner = `${pulumi.getProject()}/${pulumi.getStack()}`;
    const claim = args.cluster
        ? new NamespaceClaimResource("namespace-claim", { name: args.name, mode: args.useExisting ? "existing" : "create", owner, ...args.cluster }, { parent: opts.parent, additionalSecretOutputs: ["kubeconfig"] })
        : undefined;
    if (args.useExisting) {
        return { name: pulumi.output(claim ? claim.id.apply(() => args.name) : args.name), resources: claim ? [claim] : [] };
    }
    const namespace = new k8s.core.v1.Namespace(
        "namespace",
        { metadata: { name: args.name, annotations: { [ANNOTATIONS.namespaceOwner]: owner } } },
        { ...opts, dependsOn: claim ? [claim] : [], aliases: [{ parent: pulumi.rootStackResource }] },
    );
    return { name: namespace.metadata.name, resources: [namespace] };
}

export interface NamespaceClaimArgs {
    name: pulumi.Input<string>;
    mode: pulumi.Input<"create" | "existing">;
    owner: pulumi.Input<string>;
    kubeconfig?: pulumi.Input<string>;
    context?: pulumi.Input<string>;
}

export class NamespaceClaimResource extends pulumi.dynamic.Resource {
    constructor(name: string, args: NamespaceClaimArgs, opts?: pulumi.CustomResourceOptions) {
        super(namespaceClaimProvider, name, args, opts, PROJECT, DYNAMIC_TYPE_NAMES.namespaceClaim);
    }
}
