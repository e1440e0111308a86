/**
 * KnativeService: a Knative Service whose traffic is pinned to named revisions.
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
import type { Autoscaling } from "./config";
import { ServiceBootstrap } from "./bootstrap";
import { revisionName } from "./naming";
import { ReadinessGate } from "./readiness";
import { TemplateGuard } from "./templateGuard";
import { revisionTemplate, RevisionTemplate } from "./template";
import { trafficTable, TrafficTarget } from "./traffic";

export const TRAFFIC_FIELD_MANAGER = "knative-rollout-traffic";
/** Label naming the stack's environment; the policy pack keys its production rules on it. */
export const ENVIRONMENT_LABEL = "knative-rollout.dev/environment";
/** Annotation listing the rollout percents the stack allows, for the policy pack. */
export const ALLOWED_STEPS_ANNOTATION = "knative-rollout.dev/allowed-rollout-steps";

export interface RevisionSource {
    version: string;
    /** Digest-pinned image reference. */
    image: pulumi.Input<string>;
    /** Fingerprint of the image's content: what may change a template under the same name. */
    contentHash: string;
}

export interface KnativeServiceArgs {
    namespace: pulumi.Input<string>;
    serviceName: string;
    candidate: RevisionSource;
    stable?: RevisionSource;
    rolloutPercent: number;
    target: string;
    autoscaling: Autoscaling;
    imagePullSecret?: pulumi.Input<string>;
    awaitReady: boolean;
    readyTimeoutSeconds: number;
    /** Where the steps that read the cluster (bootstrap, readiness) connect; unset skips them (manifests are only rendered). */
    cluster?: { kubeconfig?: pulumi.Input<string>; context?: string };
    environment: string;
    allowedRolloutSteps: number[];
}

/**
 * What a stack says about itself on the Service (its environment, its allowed steps). Only the
 * traffic patch carries it: a change to the Service resource re-sends the whole template under
 * its unchanged name, which Knative rejects.
 */
export function stackMetadata(args: Pick<KnativeServiceArgs, "environment" | "allowedRolloutSteps">): {
    labels: Record<string, string>;
    annotations: Record<string, string>;
} {
    return {
        labels: { [ENVIRONMENT_LABEL]: args.environment },
        annotations: args.allowedRolloutSteps.length > 0 ? { [ALLOWED_STEPS_ANNOTATION]: args.allowedRolloutSteps.join(",") } : {},
    };
}

/** The template of a version as this Service deploys it (shared by bootstrap and Service). */
export function templateFor(
    args: Pick<KnativeServiceArgs, "serviceName" | "target" | "autoscaling" | "imagePullSecret">,
    source: RevisionSource,
): pulumi.Output<RevisionTemplate> {
    return pulumi.all([source.image, args.imagePullSecret]).apply(([image, pullSecret]) => {
        const template = revisionTemplate({
            serviceName: args.serviceName,
            version: source.version,
            image,
            target: args.target,
            autoscaling: args.autoscaling,
        });
        if (pullSecret !== undefined) {
            template.spec!.imagePullSecrets = [{ name: pullSecret }];
        }
        return template;
    });
}

export class KnativeService extends pulumi.ComponentResource {
    /** The Service's URL from its status once Ready (undefined when only rendering). */
    readonly url: pulumi.Output<string | undefined>;
    readonly tagUrls: pulumi.Output<Record<string, string>>;
    /** Resolves once the Service is Ready with the applied traffic table (or once it is applied, when not awaited). */
    readonly ready: pulumi.Resource;
    readonly traffic: TrafficTarget[];
    readonly candidateRevision: string;
    readonly stableRevision?: string;

    constructor(name: string, args: KnativeServiceArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("knative-rollout:index:KnativeService", name, {}, opts);
        const k8sOpts = { parent: this, provider: opts.provider };
        const cluster = args.cluster;
        const candidateTemplate = templateFor(args, args.candidate);
        this.candidateRevision = revisionName(args.serviceName, args.candidate.version);
        this.stableRevision = args.stable && revisionName(args.serviceName, args.stable.version);
        this.traffic = trafficTable({
            stableRevision: this.stableRevision,
            candidateRevision: this.candidateRevision,
            candidatePercent: args.rolloutPercent,
        });

        const guard = new TemplateGuard(
            `${name}-template-guard`,
            {
                revisionName: this.candidateRevision,
                inputs: {
                    [`apps/${args.candidate.version} (image content, pythonImage, imagePlatform)`]: args.candidate.contentHash,
                    target: args.target,
                    autoscaling: JSON.stringify(args.autoscaling),
                    "registryUsername (image pull secret)": args.imagePullSecret ? "set" : "unset",
                },
            },
            { parent: this },
        );

        const bootstrap =
            args.stable &&
            cluster &&
            new ServiceBootstrap(
                `${name}-bootstrap`,
                {
                    kubeconfig: cluster.kubeconfig,
                    context: cluster.context,
                    namespace: args.namespace,
                    serviceName: args.serviceName,
                    stableTemplate: templateFor(args, args.stable),
                    timeoutSeconds: args.readyTimeoutSeconds,
                },
                { parent: this, dependsOn: [guard], additionalSecretOutputs: ["kubeconfig"] },
            );

        const metadata = { name: args.serviceName, namespace: args.namespace };
        const { labels, annotations } = stackMetadata(args);
        if (!cluster) {
            // Rendering: one manifest with template and traffic, as `kubectl apply` wants it. The
            // provider writes a patch to its target's file (measured: the rendered Service then
            // held only spec.traffic), so the two-manager split exists only against a cluster.
            this.ready = new k8s.apiextensions.CustomResource(
                name,
                {
                    apiVersion: "serving.knative.dev/v1",
                    kind: "Service",
                    metadata: { ...metadata, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
                    spec: { template: candidateTemplate, traffic: this.traffic },
                },
                { ...k8sOpts, dependsOn: [guard] },
            );
            this.url = pulumi.output(undefined);
            this.tagUrls = pulumi.output<Record<string, string>>({});
            this.registerOutputs({ traffic: this.traffic });
            return;
        }

        const service = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "serving.knative.dev/v1",
                kind: "Service",
                // patchForce: take over the fields the bootstrap's create set.
                metadata: { ...metadata, annotations: { "pulumi.com/patchForce": "true" } },
                spec: { template: candidateTemplate },
            },
            { ...k8sOpts, dependsOn: [guard, ...(bootstrap ? [bootstrap] : [])] },
        );

        const traffic = new k8s.apiextensions.CustomResourcePatch(
            `${name}-traffic`,
            {
                apiVersion: "serving.knative.dev/v1",
                kind: "Service",
                metadata: {
                    ...metadata,
                    labels,
                    annotations: {
                        "pulumi.com/patchForce": "true",
                        "pulumi.com/patchFieldManager": TRAFFIC_FIELD_MANAGER,
                        ...annotations,
                    },
                },
                spec: { traffic: this.traffic },
            },
            { ...k8sOpts, dependsOn: [service] },
        );

        const gate = new ReadinessGate(
            `${name}-ready`,
            {
                kubeconfig: cluster.kubeconfig,
                context: cluster.context,
                namespace: args.namespace,
                serviceName: args.serviceName,
                traffic: this.traffic,
                revisionKey: pulumi.interpolate`${this.candidateRevision}@${args.candidate.image}`,
                awaitReady: args.awaitReady,
                timeoutSeconds: args.readyTimeoutSeconds,
            },
            { parent: this, dependsOn: [traffic], additionalSecretOutputs: ["kubeconfig"] },
        );
        this.ready = gate;
        this.url = gate.url;
        this.tagUrls = gate.tagUrls;
        this.registerOutputs({ url: this.url, tagUrls: this.tagUrls, traffic: this.traffic });
    }
}
