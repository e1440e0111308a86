/**
 * The little Kubernetes API access the dynamic resources need (bootstrap, readiness gate).
 * They run inside Pulumi's dynamic provider host, so the client library is loaded where it is
 * used rather than captured: the closure serializer then only has to ship these functions.
 */
import type * as k8s from "@kubernetes/client-node";

export const KNATIVE_SERVING = { group: "serving.knative.dev", version: "v1" } as const;

/** How a dynamic resource reaches the cluster: the same kubeconfig/context as the k8s provider. */
export interface ClusterAccess {
    /** Kubeconfig contents or path; unset uses $KUBECONFIG, ~/.kube/config or in-cluster config. */
    kubeconfig?: string;
    context?: string;
}

export interface KnativeObject {
    metadata?: { name?: string; generation?: number; labels?: Record<string, string> };
    spec?: any;
    status?: {
        observedGeneration?: number;
        url?: string;
        conditions?: { type: string; status: string; reason?: string; message?: string }[];
        traffic?: { revisionName?: string; tag?: string; percent?: number; url?: string; latestRevision?: boolean }[];
        latestCreatedRevisionName?: string;
        latestReadyRevisionName?: string;
    };
}

export function customObjectsApi(access: ClusterAccess): k8s.CustomObjectsApi {
    const client: typeof k8s = require("@kubernetes/client-node");
    const kc = new client.KubeConfig();
    const source = access.kubeconfig;
    if (source === undefined || source === "") {
        kc.loadFromDefault();
    } else if (/^\s*(apiVersion|clusters|contexts|kind|current-context|users|preferences)\s*:/m.test(source) || source.trim().startsWith("{")) {
        kc.loadFromString(source);
    } else {
        kc.loadFromFile(source);
    }
    if (access.context) {
        kc.setCurrentContext(access.context);
    }
    return kc.makeApiClient(client.CustomObjectsApi);
}

function isNotFound(err: unknown): boolean {
    const e = err as { code?: number; statusCode?: number; body?: unknown };
    return e?.code === 404 || e?.statusCode === 404;
}

/** Reads a Knative object, or undefined when it does not exist. */
export async function getKnative(
    api: k8s.CustomObjectsApi,
    plural: "services" | "revisions" | "routes" | "configurations",
    namespace: string,
    name: string,
): Promise<KnativeObject | undefined> {
    try {
        return (await api.getNamespacedCustomObject({ ...KNATIVE_SERVING, plural, namespace, name })) as KnativeObject;
    } catch (err) {
        if (isNotFound(err)) {
            return undefined;
        }
        throw err;
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A JSON-shaped copy without undefined values: dynamic resource outputs cross the wire as a
 * protobuf Struct, which cannot carry them ("Unexpected struct type"). */
export function withoutUndefined<T>(value: T): T {
    return JSON.parse(JSON.stringify(value));
}
