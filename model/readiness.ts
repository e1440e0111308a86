/**
 * Readiness: whether the Service is Ready with the table this run applied, and if not, one line
 * per thing that is not as it should be. Pure, so every message is tested; the gate that polls
 * the cluster is components/knative/readiness.ts.
 */
import { condition, type Condition, type KnativeObject } from "./knative";
import type { TrafficTarget } from "./traffic";

export interface ReadinessReport {
    ready: boolean;
    /** One line per thing that is not as it should be; empty when ready. */
    problems: string[];
}

function describe(c: Condition | undefined): string {
    if (c === undefined) return "no Ready condition yet";
    return [c.status === "False" ? "failed" : "not ready", c.reason, c.message].filter(Boolean).join(": ");
}

/**
 * Traffic entries compared on what we set. Knative's defaulting writes `latestRevision: false`
 * next to every `revisionName`, and a missing percent means 0.
 */
export function sameTraffic(live: TrafficTarget[] | undefined, want: TrafficTarget[]): boolean {
    const key = (t: TrafficTarget) => JSON.stringify([t.revisionName ?? null, t.latestRevision === true, t.percent ?? 0, t.tag ?? null]);
    return JSON.stringify((live ?? []).map(key)) === JSON.stringify(want.map(key));
}

/** Judges a Service and the revisions its traffic names. */
export function assessReadiness(
    where: string,
    service: KnativeObject | undefined,
    revisions: Record<string, KnativeObject | undefined>,
    wantTraffic: TrafficTarget[],
): ReadinessReport {
    if (service === undefined) {
        return { ready: false, problems: [`Service ${where} does not exist`] };
    }
    const problems: string[] = [];
    if (!sameTraffic(service.spec?.traffic, wantTraffic)) {
        problems.push(`Service ${where} has spec.traffic ${JSON.stringify(service.spec?.traffic ?? [])}, not the table this run applied`);
    }
    const generation = service.metadata?.generation;
    const observed = service.status?.observedGeneration;
    if (generation !== undefined && observed !== generation) {
        problems.push(`Service ${where} generation ${generation} is not reconciled yet (observed ${observed ?? "none"})`);
    }
    for (const [name, revision] of Object.entries(revisions)) {
        if (revision === undefined) {
            problems.push(`Revision ${name} does not exist`);
            continue;
        }
        const ready = condition(revision, "Ready");
        if (ready?.status !== "True") {
            problems.push(`Revision ${name} is ${describe(ready)}`);
        }
    }
    const serviceReady = condition(service, "Ready");
    if (serviceReady?.status !== "True" && problems.length === 0) {
        problems.push(`Service ${where} is ${describe(serviceReady)}`);
    }
    return { ready: problems.length === 0, problems };
}

/** What a pod's status says about its containers (the fields podProblems reads). */
export interface PodStatusLike {
    metadata?: { name?: string };
    status?: {
        containerStatuses?: {
            name: string;
            state?: { waiting?: { reason?: string; message?: string } };
            lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string } };
        }[];
    };
}

/**
 * Waiting reasons every starting container passes through: they say nothing is wrong. (An
 * array, not a Set: the gate's provider is serialized with what it captures.)
 */
const STARTING = ["ContainerCreating", "PodInitializing"];

/**
 * Why a revision's pods do not become Ready, one line per container in trouble: waiting with a
 * reason (ErrImagePull, ImagePullBackOff, CrashLoopBackOff, ...) or exited before. Knative itself
 * says only "Deploying" until its progress deadline (minutes), so this is what names the cause
 * within readyTimeoutSeconds.
 */
export function podProblems(revision: string, pods: PodStatusLike[]): string[] {
    const lines: string[] = [];
    for (const pod of pods) {
        for (const c of pod.status?.containerStatuses ?? []) {
            const where = `Revision ${revision}, pod ${pod.metadata?.name ?? "?"}, container ${c.name}`;
            const waiting = c.state?.waiting;
            const exited = c.lastState?.terminated;
            const parts: string[] = [];
            if (waiting?.reason && !STARTING.includes(waiting.reason)) parts.push([waiting.reason, waiting.message].filter(Boolean).join(": "));
            if (exited) parts.push(`last exited with code ${exited.exitCode ?? "?"}${exited.reason ? ` (${exited.reason})` : ""}${exited.message ? `: ${exited.message.trim()}` : ""}`);
            if (parts.length > 0) lines.push(`${where}: ${parts.join("; ")}`);
        }
    }
    return lines;
}

/** Tag → URL, as Knative publishes them in the Service's status. */
export function tagUrlsOf(service: KnativeObject | undefined): Record<string, string> {
    const tagUrls: Record<string, string> = {};
    for (const t of service?.status?.traffic ?? []) {
        if (t.tag && t.url) tagUrls[t.tag] = t.url;
    }
    return tagUrls;
}
