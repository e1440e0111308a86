/**
 * The little Kubernetes API access the dynamic resources need (namespace claim, bootstrap,
 * readiness gate). They run inside Pulumi's dynamic provider host, so the client library is
 * loaded where it is used rather than captured: the closure serializer then only has to ship
 * these functions, and a run that reads nothing from the cluster never loads it.
 */
import type * as k8s from "@kubernetes/client-node";
import type { KnativeObject } from "../../model";

/** How a dynamic resource reaches the cluster: the same kubeconfig/context as the k8s provider. */
export interface ClusterAccess {
    /** Kubeconfig contents or path; unset uses $KUBECONFIG, ~/.kube/config or in-cluster config. */
    kubeconfig?: string;
    context?: string;
}

/** A Kubernetes object's identity, for reads. */
export interface ObjectRef {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
}

export function objectsApi(access: ClusterAccess): k8s.KubernetesObjectApi {
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
    return client.KubernetesObjectApi.makeApiClient(kc);
}

function isNotFound(err: unknown): boolean {
    const e = err as { code?: number; statusCode?: number };
    return e?.code === 404 || e?.statusCode === 404;
}

/** Reads an object, or undefined when it does not exist. */
export async function readObject<T = KnativeObject>(api: k8s.KubernetesObjectApi, ref: ObjectRef): Promise<T | undefined> {
    try {
        return (await api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } })) as T;
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
    }
}

/** A server-side apply of `body` as `fieldManager`, taking over conflicting fields. */
export async function applyObject(api: k8s.KubernetesObjectApi, body: object, fieldManager: string): Promise<void> {
    const client: typeof k8s = require("@kubernetes/client-node");
    await api.patch(body as k8s.KubernetesObject, undefined, undefined, fieldManager, true, client.PatchStrategy.ServerSideApply);
}

/** A JSON merge patch (for the few fields server-side apply cannot set, such as managedFields). */
export async function mergePatchObject(api: k8s.KubernetesObjectApi, body: object): Promise<void> {
    const client: typeof k8s = require("@kubernetes/client-node");
    await api.patch(body as k8s.KubernetesObject, undefined, undefined, undefined, undefined, client.PatchStrategy.MergePatch);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A JSON-shaped copy without undefined values: dynamic resource outputs cross the wire as a
 * protobuf Struct, which cannot carry them ("Unexpected struct type"). */
export function withoutUndefined<T>(value: T): T {
    return JSON.parse(JSON.stringify(value));
}
