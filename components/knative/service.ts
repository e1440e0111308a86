/**
 * KnativeService: a Knative Service whose traffic is pinned to named revisions, from a rollout
 * plan (model/plan.ts). It holds resources; every decision is the plan's.
 *
 * Why two Kubernetes resources for one object: Knative skips its defaulting when a BYO revision
 * name is unchanged, so re-sending a template that omits what defaulting added at create (the
 * container name, the readiness probe and, with secure-pod-defaults, the security context, all
 * cluster-dependent) is rejected. The template is therefore applied only when it changes, which
 * always comes with a new name, by one field manager; `spec.traffic` is applied by a second field
 * manager (a server-side-apply patch) that never touches the template. A traffic-only change is a
 * patch of `spec.traffic` alone, and works whatever the cluster's defaults are.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ANNOTATIONS, FIELD_MANAGERS, KNATIVE_SERVING, type RevisionPlan, type RolloutPlan, templateFor, TYPES } from "../../model";
import { ServiceBootstrap } from "./bootstrap";
import { ReadinessGate } from "./readiness";
import { TemplateGuard } from "./templateGuard";

/** A version's image as built: what the template runs, and what may change it. */
export interface BuiltImage {
    /** Digest-pinned image reference. */
    ref: pulumi.Input<string>;
    /** Fingerprint of the image's content: what may change a template under the same name. */
    contentHash: string;
}

export interface KnativeServiceArgs {
    plan: RolloutPlan;
    namespace: pulumi.Input<string>;
    /** By app version. */
    images: Record<string, BuiltImage>;
    awaitReady: boolean;
    readyTimeoutSeconds: number;
    /** Where the steps that read the cluster (bootstrap, readiness) connect; unset: manifests are only rendered. */
    cluster?: { kubeconfig?: pulumi.Input<string>; context?: string };
}

export class KnativeService extends pulumi.ComponentResource {
    /** The Service's URL from its status once Ready (undefined when only rendering). */
    readonly url: pulumi.Output<string | undefined>;
    readonly tagUrls: pulumi.Output<Record<string, string>>;
    /** Resolves once the Service is Ready with the applied traffic table (or once it is applied, when not awaited). */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: KnativeServiceArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super(TYPES.knativeService, name, {}, opts);
        const { plan, cluster } = args;
        const k8sOpts = { parent: this, provider: opts.provider };
        // Only the image is an Output: the rest of the template is known in a preview, for the policy pack.
        const template = (revision: RevisionPlan) => templateFor(plan, revision, args.images[revision.version].ref);
        const metadata = { name: plan.serviceName, namespace: args.namespace };

        const guard = new TemplateGuard(
            `${name}-template-guard`,
            {
                revisionName: plan.candidate.revision,
                inputs: {
                    [`apps/${plan.candidate.version} (image content, pythonImage, imagePlatform)`]: args.images[plan.candidate.version].contentHash,
                    target: plan.target,
                    autoscaling: JSON.stringify(plan.autoscaling),
                    "registryUsername (image pull secret)": plan.imagePullSecret ? "set" : "unset",
                },
            },
            { parent: this },
        );

        if (!cluster) {
            // Rendering: one manifest with template and traffic, as `kubectl apply` wants it. The
            // provider writes a patch to its target's file (measured: the rendered Service then
            // held only spec.traffic), so the two-manager split exists only against a cluster.
            const { labels, annotations } = plan.stackMetadata;
            this.ready = new k8s.apiextensions.CustomResource(
                name,
                {
                    apiVersion: KNATIVE_SERVING.apiVersion,
                    kind: "Service",
                    metadata: { ...metadata, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
                    spec: { template: template(plan.candidate), traffic: plan.traffic },
                },
                { ...k8sOpts, dependsOn: [guard] },
            );
            this.url = pulumi.output(undefined);
            this.tagUrls = pulumi.output<Record<string, string>>({});
            this.registerOutputs({ traffic: plan.traffic });
            return;
        }

        const bootstrap =
            plan.stable &&
            new ServiceBootstrap(
                `${name}-bootstrap`,
                {
                    ...cluster,
                    namespace: args.namespace,
                    serviceName: plan.serviceName,
                    stableTemplate: template(plan.stable),
                    timeoutSeconds: args.readyTimeoutSeconds,
                },
                { parent: this, dependsOn: [guard], additionalSecretOutputs: ["kubeconfig"] },
            );

        const service = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: KNATIVE_SERVING.apiVersion,
                kind: "Service",
                // patchForce: take over the fields the bootstrap set (it keeps co-owning them until
                // the gate releases them). No patchFieldManager here: the traffic patch writes its
                // own onto the same live object, and a refresh would read that back as drift of
                // this resource, whose "fix" re-sends the template under its unchanged name.
                metadata: { ...metadata, annotations: { [ANNOTATIONS.patchForce]: "true" } },
                spec: { template: template(plan.candidate) },
            },
            { ...k8sOpts, dependsOn: [guard, ...(bootstrap ? [bootstrap] : [])] },
        );

        const traffic = new k8s.apiextensions.CustomResourcePatch(
            `${name}-traffic`,
            {
                apiVersion: KNATIVE_SERVING.apiVersion,
                kind: "Service",
                metadata: {
                    ...metadata,
                    labels: plan.stackMetadata.labels,
                    annotations: {
                        [ANNOTATIONS.patchForce]: "true",
                        [ANNOTATIONS.patchFieldManager]: FIELD_MANAGERS.traffic,
                        ...plan.stackMetadata.annotations,
                    },
                },
                spec: { traffic: plan.traffic },
            },
            { ...k8sOpts, dependsOn: [service] },
        );

        const gate = new ReadinessGate(
            `${name}-ready`,
            {
                ...cluster,
                namespace: args.namespace,
                serviceName: plan.serviceName,
                traffic: plan.traffic,
                revisionKey: pulumi.interpolate`${plan.candidate.revision}@${args.images[plan.candidate.version].ref}`,
                awaitReady: args.awaitReady,
                timeoutSeconds: args.readyTimeoutSeconds,
            },
            { parent: this, dependsOn: [traffic], additionalSecretOutputs: ["kubeconfig"] },
        );
        this.ready = gate;
        this.url = gate.url;
        this.tagUrls = gate.tagUrls;
        this.registerOutputs({ url: this.url, tagUrls: this.tagUrls, traffic: plan.traffic });
    }
}
