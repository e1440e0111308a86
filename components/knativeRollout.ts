/**
 * KnativeRollout: the whole rollout as one component resource. It takes a validated config,
 * computes the plan once (model/plan.ts) and holds what deploys it: the images, the namespace, the
 * image pull Secret, the Knative Service and, when configured, the verifier gate.
 *
 * The component is registered with the plan's facts as its inputs, before any of its children:
 * the policy pack judges them there, so a production rule refuses a change in a preview and
 * before the first resource of an update, not after the traffic moved.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { planRollout, type RolloutConfig, type RolloutPlan, type TrafficTarget, TYPES } from "../model";
import { FlaskImage } from "./images/flaskImage";
import { dockerConfigJson } from "./images/registry";
import { KnativeService } from "./knative/service";
import { stackNamespace } from "./namespace";
import { TrafficVerifier } from "./trafficVerifier";

/** Where the app versions live: `apps/<version>/` with a Dockerfile. */
export const APPS_DIR = path.join(__dirname, "..", "apps");

/** Whether apps/<version>/ holds a buildable app. */
export function appVersionExists(version: string, appsDir = APPS_DIR): boolean {
    return fs.existsSync(path.join(appsDir, version, "Dockerfile"));
}

export interface KnativeRolloutArgs {
    config: RolloutConfig;
    /** The registry password, as a secret; required when `config.registryUsername` is set. */
    registryPassword?: pulumi.Input<string>;
    /** Folder holding `apps/<version>/` (default: this project's apps/). */
    appsDir?: string;
}

/** Resources that moved under the component keep their URNs' history (stacks made before it existed). */
const fromRoot = { aliases: [{ parent: pulumi.rootStackResource }] };

/** The facts the policy pack judges, known in a preview: the plan itself. */
function facts(plan: RolloutPlan): pulumi.Inputs {
    return { plan } as pulumi.Inputs;
}

export class KnativeRollout extends pulumi.ComponentResource {
    readonly plan: RolloutPlan;
    /** The Service's URL from its status (undefined when only rendering). */
    readonly url: pulumi.Output<string | undefined>;
    readonly candidateRevision: string;
    readonly stableRevision?: string;
    readonly traffic: TrafficTarget[];
    readonly tagUrls: pulumi.Output<Record<string, string>>;
    /** Digest-pinned image reference by app version. */
    readonly images: Record<string, pulumi.Output<string>>;
    /** The verifier's report, when `verify` is configured. */
    readonly verification?: pulumi.Output<string>;

    constructor(name: string, args: KnativeRolloutArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planRollout(args.config);
        super(TYPES.rollout, name, facts(plan), opts);
        this.plan = plan;
        const config = args.config;
        const appsDir = args.appsDir ?? APPS_DIR;
        // Rendering: manifests go to a directory and nothing reads or writes a cluster.
        const renderOnly = config.renderYamlToDirectory !== undefined;
        // The kubeconfig (a path or the file's contents) is a secret in the state, as in the dynamic resources.
        const kubeconfig = config.kubeconfig ?? process.env.KUBECONFIG;
        const cluster = renderOnly ? undefined : { kubeconfig: kubeconfig === undefined ? undefined : pulumi.secret(kubeconfig), context: config.kubeContext };

        const provider = new k8s.Provider(
            "k8s",
            renderOnly
                ? // An explicit empty kubeconfig: the SDK would otherwise fill in $KUBECONFIG, which the
                  // provider refuses next to renderYamlToDirectory. deleteUnreachable: the refresh that
                  // runs before every update (Pulumi.yaml) cannot read rendered objects back; they are
                  // dropped from the state and rendered afresh instead of failing the run.
                  { renderYamlToDirectory: config.renderYamlToDirectory, kubeconfig: "", deleteUnreachable: true }
                : { kubeconfig: cluster!.kubeconfig, context: config.kubeContext, enableServerSideApply: true },
            { parent: this, ...fromRoot },
        );

        // Stable first (the bootstrap needs it first). One build at a time: two builds of one base
        // push the same layers at once, and a registry can fail one of the concurrent uploads of a
        // blob ("provided digest did not match uploaded content", seen with Debian's docker-registry).
        const revisions = [...(plan.stable ? [plan.stable] : []), plan.candidate];
        const images: Record<string, FlaskImage> = {};
        let previous: FlaskImage | undefined;
        for (const { version } of revisions) {
            previous = images[version] = new FlaskImage(
                `app-${version}`,
                {
                    appsDir,
                    repository: plan.serviceName,
                    version,
                    platform: config.imagePlatform,
                    pythonImage: config.pythonImage,
                    localOnly: renderOnly,
                    registryAccess: { registry: config.registry, username: config.registryUsername, password: args.registryPassword },
                },
                { parent: this, ...fromRoot, dependsOn: previous ? [previous] : [] },
            );
        }

        const namespace = stackNamespace({ name: plan.namespace, useExisting: config.useExistingNamespace, cluster }, { parent: this, provider });

        // Pods pull from a private registry with this; Knative resolves nothing (images are pinned).
        // A rendering writes no credentials: the manifests name the Secret, whoever applies them makes it.
        const pullSecret =
            plan.imagePullSecret !== undefined && args.registryPassword !== undefined && !renderOnly
                ? new k8s.core.v1.Secret(
                      "registry-credentials",
                      {
                          metadata: { name: plan.imagePullSecret, namespace: namespace.name },
                          type: "kubernetes.io/dockerconfigjson",
                          stringData: {
                              ".dockerconfigjson": pulumi
                                  .secret(args.registryPassword)
                                  .apply((password) => dockerConfigJson(config.registry, config.registryUsername!, password)),
                          },
                      },
                      { parent: this, ...fromRoot, provider },
                  )
                : undefined;

        const service = new KnativeService(
            plan.serviceName,
            {
                plan,
                namespace: namespace.name,
                images: Object.fromEntries(Object.entries(images).map(([v, image]) => [v, { ref: image.ref, contentHash: image.contentHash }])),
                awaitReady: config.awaitReady,
                readyTimeoutSeconds: config.readyTimeoutSeconds,
                cluster,
            },
            { parent: this, ...fromRoot, provider, dependsOn: [...namespace.resources, ...(pullSecret ? [pullSecret] : [])] },
        );

        if (config.verify && renderOnly) {
            pulumi.log.warn("verify is set but renderYamlToDirectory is too: nothing is deployed, so nothing is verified", this);
        }
        const verifier =
            config.verify?.gate && !renderOnly
                ? new TrafficVerifier(
                      "verify",
                      { verify: config.verify, serviceUrl: service.url, expect: plan.expectedSplit, images: revisions.map((r) => images[r.version].ref) },
                      { parent: this, ...fromRoot, dependsOn: [service.ready] },
                  )
                : undefined;

        this.url = service.url;
        this.candidateRevision = plan.candidate.revision;
        this.stableRevision = plan.stable?.revision;
        this.traffic = plan.traffic;
        this.tagUrls = service.tagUrls;
        this.images = Object.fromEntries(Object.entries(images).map(([v, image]) => [v, image.ref]));
        this.verification = verifier?.report;
        this.registerOutputs({ url: this.url, tagUrls: this.tagUrls, traffic: this.traffic, images: this.images, verification: this.verification });
    }
}
