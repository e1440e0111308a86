/**
 * The whole program as one function of a validated config, so tests can evaluate any number of
 * configurations in one process (index.ts calls it once with the stack's config).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RolloutConfig } from "./config";
import { FlaskImage, registryHost } from "./flaskImage";
import { KnativeService } from "./knativeService";
import { TrafficTarget } from "./traffic";
import { expectedSplit, TrafficVerifier } from "./trafficVerifier";

export interface RolloutSecrets {
    registryPassword?: pulumi.Output<string>;
}

export interface RolloutOutputs {
    url: pulumi.Output<string | undefined>;
    candidateRevision: string;
    stableRevision?: string;
    traffic: TrafficTarget[];
    tagUrls: pulumi.Output<Record<string, string>>;
    images: Record<string, pulumi.Output<string>>;
    /** The verifier's report, when `verify` is configured. */
    verification?: pulumi.Output<string>;
}

export const APPS_DIR = path.join(__dirname, "..", "apps");

/** Whether apps/<version>/ holds a buildable app. */
export function appVersionExists(version: string, appsDir = APPS_DIR): boolean {
    return fs.existsSync(path.join(appsDir, version, "Dockerfile"));
}

/** A `kubernetes.io/dockerconfigjson` payload for the registry the images are pushed to. */
export function dockerConfigJson(registry: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [registryHost(registry)]: { username, password, auth } } });
}

export function deployRollout(config: RolloutConfig, secrets: RolloutSecrets, appsDir = APPS_DIR): RolloutOutputs {
    // Rendering: manifests go to a directory and nothing reads or writes a cluster.
    const renderOnly = config.renderYamlToDirectory !== undefined;
    const provider = new k8s.Provider(
        "k8s",
        renderOnly
            ? // An explicit empty kubeconfig: the SDK would otherwise fill in $KUBECONFIG, which the
              // provider refuses next to renderYamlToDirectory.
              { renderYamlToDirectory: config.renderYamlToDirectory, kubeconfig: "" }
            : { kubeconfig: config.kubeconfig, context: config.kubeContext, enableServerSideApply: true },
    );

    // Stable first (the bootstrap needs it first). One build at a time: two builds of one base
    // push the same layers at once, and a registry can fail one of the concurrent uploads of a
    // blob ("provided digest did not match uploaded content", seen with Debian's docker-registry).
    const versions = [...(config.stableVersion ? [config.stableVersion] : []), config.candidateVersion];
    const images: Record<string, FlaskImage> = {};
    let previous: FlaskImage | undefined;
    for (const version of versions) {
        previous = images[version] = new FlaskImage(`app-${version}`, {
            appsDir,
            repository: config.serviceName,
            version,
            platform: config.imagePlatform,
            pythonImage: config.pythonImage,
            localOnly: renderOnly,
            registryAccess: {
                registry: config.registry,
                username: config.registryUsername,
                password: secrets.registryPassword,
            },
        }, { dependsOn: previous ? [previous] : [] });
    }

    const namespace = new k8s.core.v1.Namespace(
        "namespace",
        { metadata: { name: config.namespace } },
        { provider },
    );

    // Pods pull from a private registry with this; Knative resolves nothing (images are pinned).
    const pullSecret =
        config.registryUsername !== undefined && secrets.registryPassword !== undefined
            ? new k8s.core.v1.Secret(
                  "registry-credentials",
                  {
                      metadata: { name: `${config.serviceName}-registry`, namespace: namespace.metadata.name },
                      type: "kubernetes.io/dockerconfigjson",
                      stringData: {
                          ".dockerconfigjson": secrets.registryPassword.apply((password) =>
                              dockerConfigJson(config.registry, config.registryUsername!, password),
                          ),
                      },
                  },
                  { provider },
              )
            : undefined;

    const source = (version: string) => ({
        version,
        image: images[version].ref,
        contentHash: images[version].contentHash,
    });
    const service = new KnativeService(
        config.serviceName,
        {
            namespace: namespace.metadata.name,
            serviceName: config.serviceName,
            candidate: source(config.candidateVersion),
            stable: config.stableVersion ? source(config.stableVersion) : undefined,
            rolloutPercent: config.rolloutPercent,
            target: config.target,
            autoscaling: config.autoscaling,
            imagePullSecret: pullSecret?.metadata.name,
            awaitReady: config.awaitReady,
            readyTimeoutSeconds: config.readyTimeoutSeconds,
            cluster: renderOnly
                ? undefined
                : {
                      kubeconfig: config.kubeconfig === undefined ? undefined : pulumi.secret(config.kubeconfig),
                      context: config.kubeContext,
                  },
            environment: config.environment,
            allowedRolloutSteps: config.allowedRolloutSteps,
        },
        { provider, dependsOn: pullSecret ? [namespace, pullSecret] : [namespace] },
    );

    if (config.verify && renderOnly) {
        pulumi.log.warn("verify is set but renderYamlToDirectory is too: nothing is deployed, so nothing is verified");
    }
    const verifier =
        config.verify && !renderOnly
            ? new TrafficVerifier(
                  "verify",
                  {
                      verify: config.verify,
                      serviceUrl: service.url,
                      expect: expectedSplit(config),
                      images: versions.map((v) => images[v].ref),
                  },
                  { dependsOn: [service.ready] },
              )
            : undefined;

    return {
        url: service.url,
        candidateRevision: service.candidateRevision,
        stableRevision: service.stableRevision,
        traffic: service.traffic,
        tagUrls: service.tagUrls,
        images: Object.fromEntries(Object.entries(images).map(([v, image]) => [v, image.ref])),
        verification: verifier?.report,
    };
}
