/**
 * The traffic table: Knative's v1 translation of the removed v1alpha1 `release` mode
 * (`revisions: [current, candidate]`, `rolloutPercent: p`), with both revisions pinned by name,
 * and the split users should observe, derived from the same plan.
 */
import type { IService } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import { TAGS } from "./contract";

export type TrafficTarget = NonNullable<NonNullable<IService["spec"]>["traffic"]>[number];

export interface TrafficPlan {
    /** Revision that serves `100 - candidatePercent`, absent when the candidate serves everything. */
    stableRevision?: string;
    candidateRevision: string;
    /** Integer share of requests for the candidate, 0..100. */
    candidatePercent: number;
}

/**
 * The `spec.traffic` of the Service. Percents are integers summing to 100, as Knative's webhook
 * requires; the `latest` entry carries 0% so that a template change never takes traffic by itself.
 */
export function trafficTable(plan: TrafficPlan): TrafficTarget[] {
    const { stableRevision, candidateRevision, candidatePercent } = plan;
    if (!Number.isInteger(candidatePercent) || candidatePercent < 0 || candidatePercent > 100) {
        throw new RangeError(`candidatePercent must be an integer in 0..100, got ${candidatePercent}`);
    }
    if (stableRevision === undefined && candidatePercent !== 100) {
        throw new RangeError(`without a stable revision the candidate must take 100%, got ${candidatePercent}`);
    }
    // `+ 0` turns a -0 into 0: Knative and YAML would otherwise see "-0".
    const percent = candidatePercent + 0;
    const table: TrafficTarget[] = [];
    if (stableRevision !== undefined) {
        table.push({ revisionName: stableRevision, percent: 100 - percent, tag: TAGS.stable });
    }
    table.push({ revisionName: candidateRevision, percent, tag: TAGS.candidate });
    table.push({ latestRevision: true, percent: 0, tag: TAGS.latest });
    return table;
}

/** The tags a plan uses, for length checks before anything is sent. */
export function tagsOf(plan: Pick<TrafficPlan, "stableRevision">): string[] {
    return plan.stableRevision === undefined ? [TAGS.candidate, TAGS.latest] : [TAGS.stable, TAGS.candidate, TAGS.latest];
}

/**
 * The share each app version should get, stable first: what users must observe, and what the
 * verifier is asked to confirm. Derived from the traffic table, so the two cannot disagree.
 */
export function expectedSplit(table: readonly TrafficTarget[], versionOf: (revision: string) => string): [string, number][] {
    return table.filter((t) => t.revisionName !== undefined).map((t) => [versionOf(t.revisionName!), t.percent ?? 0]);
}
