/**
 * The traffic table: Knative's v1 translation of the removed v1alpha1 `release` mode
 * (`revisions: [current, candidate]`, `rolloutPercent: p`), with both revisions pinned by name.
 */
import type { IService } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";

export type TrafficTarget = NonNullable<NonNullable<IService["spec"]>["traffic"]>[number];

/** Tags every table carries; each gives a URL that bypasses the split (`<tag>-<service>.<ns>.<domain>`). */
export const TAGS = {
    stable: "current",
    candidate: "candidate",
    latest: "latest",
} as const;

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
    const table: TrafficTarget[] = [];
    if (stableRevision !== undefined) {
        table.push({ revisionName: stableRevision, percent: 100 - candidatePercent, tag: TAGS.stable });
    }
    table.push({ revisionName: candidateRevision, percent: candidatePercent, tag: TAGS.candidate });
    table.push({ latestRevision: true, percent: 0, tag: TAGS.latest });
    return table;
}

/** The tags a plan uses, for length checks before anything is sent. */
export function tagsOf(plan: Pick<TrafficPlan, "stableRevision">): string[] {
    return plan.stableRevision === undefined
        ? [TAGS.candidate, TAGS.latest]
        : [TAGS.stable, TAGS.candidate, TAGS.latest];
}
