/**
 * The cluster, read-only, for the rollout: the candidate revision's Ready condition (the dark
 * launch) and the Service's live spec.traffic (the agreement check). Through the kubeconfig and
 * context the stack's config names, as the program's own Kubernetes access does; Knative objects
 * as plain JSON (CustomObjectsApi).
 */
import type * as k8s from "@kubernetes/client-node";
import { condition, KNATIVE_SERVING, type KnativeObject, type TrafficTarget } from "../model";
import type { ClusterView } from "./workspace";

export interface ClusterAccess {
    /** Kubeconfig contents or path; unset uses $KUBECONFIG, ~/.kube/config or in-cluster config. */
    kubeconfig?: string;
    context?: string;
}

function customObjects(access: ClusterAccess): k8s.CustomObjectsApi {
    const client: typeof k8s = require("@kubernetes/client-node");
    const kc = new client.KubeConfig();
    const source = access.kubeconfig;
    if (source === undefined || source === "") kc.loadFromDefault();
    else if (/^\s*(apiVersion|clusters|contexts|kind|current-context|users|preferences)\s*:/m.test(source) || source.trim().startsWith("{")) kc.loadFromString(source);
    else kc.loadFromFile(source);
    if (access.context) kc.setCurrentContext(access.context);
    return kc.makeApiClient(client.CustomObjectsApi);
}

async function get(api: k8s.CustomObjectsApi, plural: "services" | "revisions", namespace: string, name: string): Promise<KnativeObject | undefined> {
    try {
        return (await api.getNamespacedCustomObject({ group: KNATIVE_SERVING.group, version: KNATIVE_SERVING.version, plural, namespace, name })) as KnativeObject;
    } catch (err) {
        const e = err as { code?: number; statusCode?: number; message?: string };
        if (e?.code === 404 || e?.statusCode === 404) return undefined;
        throw new Error(`reading ${plural} ${namespace}/${name}: ${e?.message ?? String(err)}`);
    }
}

export function kubeCluster(access: ClusterAccess): ClusterView {
    let api: k8s.CustomObjectsApi | undefined;
    const client = () => (api ??= customObjects(access));
    return {
        async revisionReady(namespace, revision) {
            const r = await get(client(), "revisions", namespace, revision);
            if (r === undefined) return { ready: false, problems: [`Revision ${namespace}/${revision} does not exist`] };
            const c = condition(r, "Ready");
            if (c?.status === "True") return { ready: true, problems: [] };
            const why = [c === undefined ? "no Ready condition yet" : c.status === "False" ? "failed" : "not ready", c?.reason, c?.message].filter(Boolean).join(": ");
            return { ready: false, problems: [`Revision ${namespace}/${revision} is ${why}`] };
        },
        async liveTraffic(namespace, service) {
            const s = await get(client(), "services", namespace, service);
            return s === undefined ? undefined : ((s.spec?.traffic as TrafficTarget[] | undefined) ?? []);
        },
    };
}
