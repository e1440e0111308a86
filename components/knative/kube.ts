/**
 * The little Kubernetes API access the dynamic resources need (namespace claim, bootstrap,
 * readiness gate). They run inside Pulumi's dynamic provider host, so the client library is
 * loaded where it is used rather than captured: the closure serializer then only has to ship
 * these functions, and a run that reads nothing from the cluster never loads it.
 *
 * Knative objects go through CustomObjectsApi, which sends and returns plain JSON: the typed
 * object API would serialize a body it has no model for and drop fields (measured: a Service's
 * spec.template.spec.containers arrived as null).
 */
import type * as k8s from "@kubernetes/client-node";
import { KNATIVE_SERVING, type KnativeObject } from "../../model";

/** How a dynamic resource reaches the cluster: the same kubeconfig/context as the k8s provider. */
export interface ClusterAccess {
    /** Kubeconfig contents or path; unset uses $KUBECONFIG, ~/.kube/config or in-cluster config. */
    kubeconfig?: string;
    context?: string;
}

export type KnativePlural = "services" | "revisions";

function client(): typeof k8s {
    return require("@kubernetes/client-node");
}

function kubeConfig(access: ClusterAccess): k8s.KubeConfig {
    const kc = new (client().KubeConfig)();
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
    return kc;
}

export function customObjectsApi(access: ClusterAccess): k8s.CustomObjectsApi {
    return kubeConfig(access).makeApiClient(client().CustomObjectsApi);
}

export function coreApi(access: ClusterAccess): k8s.CoreV1Api {
    return kubeConfig(access).makeApiClient(client().CoreV1Api);
}

function isNotFound(err: unknown): boolean {
    const e = err as { code?: number; statusCode?: number };
    return e?.code === 404 || e?.statusCode === 404;
}

/** The API server's own message for a failed request (the client's error says only "HTTP-Code: 422"). */
export function apiError(err: unknown, what: string): Error {
    const body = (err as { body?: unknown })?.body;
    let message = err instanceof Error ? err.message : String(err);
    try {
        const status = typeof body === "string" ? JSON.parse(body) : body;
        if (status && typeof status === "object" && typeof (status as { message?: unknown }).message === "string") {
            message = (status as { message: string }).message;
        }
    } catch {
        // not JSON: keep the client's message
    }
    return new Error(`${what}: ${message}`);
}

/** Reads a Knative object, or undefined when it does not exist. */
export async function getKnative(api: k8s.CustomObjectsApi, plural: KnativePlural, namespace: string, name: string): Promise<KnativeObject | undefined> {
    try {
        return (await api.getNamespacedCustomObject({ ...KNATIVE_SERVING, plural, namespace, name })) as KnativeObject;
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw apiError(err, `reading ${plural} ${namespace}/${name}`);
    }
}

/** A Knative object patched as `fieldManager`: server-side apply (taking over conflicts), or a JSON merge patch. */
export async function patchKnative(
    api: k8s.CustomObjectsApi,
    plural: KnativePlural,
    body: { metadata: { name: string; namespace: string } },
    how: { apply: string } | "merge",
): Promise<void> {
    const { name, namespace } = body.metadata;
    const c = client();
    const contentType = how === "merge" ? c.PatchStrategy.MergePatch : c.PatchStrategy.ServerSideApply;
    try {
        await api.patchNamespacedCustomObject(
            { ...KNATIVE_SERVING, plural, namespace, name, body, ...(how === "merge" ? {} : { fieldManager: how.apply, force: true }) },
            c.setHeaderOptions("Content-Type", contentType),
        );
    } catch (err) {
        throw apiError(err, `${how === "merge" ? "patching" : `applying (as ${how.apply})`} ${plural} ${namespace}/${name}`);
    }
}

/** Reads a namespace, or undefined when it does not exist. */
export async function getNamespace(api: k8s.CoreV1Api, name: string): Promise<k8s.V1Namespace | undefined> {
    try {
        return await api.readNamespace({ name });
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw apiError(err, `reading namespace ${name}`);
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
