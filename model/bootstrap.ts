/**
 * Bootstrap: Knative creates one revision per apply (the template's), and a split may name only
 * revisions that exist or the template's own. On a cluster where the Service does not exist yet,
 * the stable revision is therefore created first, by creating the Service with the stable
 * template and 100% of traffic pinned to it; the Service resource then takes the object over
 * and rolls the candidate in. This is the order of Knative's own BYO-name e2e test
 * (test/e2e/rollback_byo_test.go).
 *
 * The decision is pure: what to do, from what the cluster holds. components/knative/bootstrap.ts
 * carries it out, on every run (not only the first): a Service deleted out of band is then
 * re-created from the stable revision before anything else moves.
 */
import { FIELD_MANAGERS, KNATIVE_SERVING, LABELS } from "./contract";
import type { KnativeObject, ManagedFieldsEntry } from "./knative";
import type { RevisionTemplate } from "./template";
import type { TrafficTarget } from "./traffic";

export type BootstrapDecision =
    | { action: "create-service" }
    | { action: "none" }
    | { action: "wait-for-revision" }
    | { action: "fail"; message: string };

export interface ObservedCluster {
    /** The Service as it is, undefined when absent. */
    service?: KnativeObject;
    /** The stable revision as it is, undefined when absent. */
    stableRevision?: KnativeObject;
}

export interface BootstrapWant {
    namespace: string;
    serviceName: string;
    stableRevision: string;
}

/** What the bootstrap must do, from what the cluster holds. Pure, so every branch is tested. */
export function decideBootstrap(observed: ObservedCluster, want: BootstrapWant): BootstrapDecision {
    const { service, stableRevision } = observed;
    const where = `${want.namespace}/${want.serviceName}`;
    if (service === undefined) {
        return { action: "create-service" };
    }
    if (stableRevision !== undefined) {
        const owner = stableRevision.metadata?.labels?.[LABELS.revisionService];
        if (owner !== undefined && owner !== want.serviceName) {
            return {
                action: "fail",
                message: `Revision ${want.namespace}/${want.stableRevision} belongs to Service "${owner}", not "${want.serviceName}"; Knative will not route to it (RevisionNotOwned). Choose another stableVersion or serviceName.`,
            };
        }
        return { action: "none" };
    }
    if (service.spec?.template?.metadata?.name === want.stableRevision) {
        // The Service's own template is the stable one: Knative's controller is creating it.
        return { action: "wait-for-revision" };
    }
    return {
        action: "fail",
        message:
            `Service ${where} exists but its revision ${want.stableRevision} (stableVersion) does not, so traffic cannot be pinned to it. ` +
            `Set stableVersion to a version whose revision exists (kubectl get revisions -n ${want.namespace} -l ${LABELS.revisionService}=${want.serviceName}), ` +
            `or deploy that version first as candidateVersion with rolloutPercent 0.`,
    };
}

/** The traffic of a bootstrapped Service: everything pinned to the stable revision. */
export function bootstrapTraffic(stableRevision: string): TrafficTarget[] {
    return [{ revisionName: stableRevision, percent: 100 }];
}

/**
 * The Service the bootstrap creates (server-side apply as FIELD_MANAGERS.bootstrap): the stable
 * template, all traffic pinned to it. A Knative Service cannot exist without a template, and its
 * traffic must name the stable revision from the start. The Service resource then applies the
 * candidate's template with the same keys (both templates come from one config), so it co-owns
 * every field the bootstrap set; the readiness gate then releases the bootstrap's ownership
 * (`bootstrapOwnership`), and a field the program later drops is removed, not kept alive by it.
 */
export function bootstrapService(want: { namespace: string; serviceName: string; stableTemplate: RevisionTemplate }): object {
    const stableRevision = want.stableTemplate.metadata!.name!;
    return {
        apiVersion: KNATIVE_SERVING.apiVersion,
        kind: "Service",
        metadata: { name: want.serviceName, namespace: want.namespace },
        spec: {
            template: want.stableTemplate,
            traffic: bootstrapTraffic(stableRevision),
        },
    };
}

/**
 * The Service's field ownership without the bootstrap's entries, or undefined when the bootstrap
 * owns nothing: what the readiness gate writes back (a merge patch of metadata.managedFields) to
 * release the bootstrap's fields once the Service resource has applied its own.
 */
export function bootstrapOwnership(service: KnativeObject | undefined): ManagedFieldsEntry[] | undefined {
    const entries = service?.metadata?.managedFields ?? [];
    const kept = entries.filter((e) => e.manager !== FIELD_MANAGERS.bootstrap);
    return kept.length === entries.length ? undefined : kept;
}
