/**
 * A stage on live traffic: one bounded sample of requests (verifier/sampler.ts) fed, request by
 * request, to the stage's judgment (rollout/stage.ts), stopping as soon as it has decided. Every
 * request is handed to `onRecord` (the samples file) in the order the judgment saw it.
 */
import { parseAddress } from "../model/verify";
import { sample, type Target } from "../verifier/sampler";
import {
    addRecord,
    concludeStage,
    initialStage,
    snapshot,
    splitPlanOf,
    stageProgress,
    toRecord,
    type RequestRecord,
    type SampleTarget,
    type StageOutcome,
    type StageSnapshot,
    type StageSpec,
} from "./stage";

/** Where a sample goes, as the stack's `verify` settings and outputs give it. */
export interface HttpTarget {
    url: string;
    /** Host header (default: the URL's host). */
    host?: string;
    /** Ingress host:port to connect to (default: resolve the URL's host). */
    address?: string;
}

/** The sampler's bounds for one stage (the request count is the stage's own `maxRequests`). */
export interface SampleBudget {
    timeLimitMs: number;
    timeoutMs: number;
    concurrency: number;
}

export interface RunStageOptions {
    spec: StageSpec;
    target: HttpTarget;
    budget: SampleBudget;
    /** Stops the sample (SIGINT/SIGTERM); the stage then ends "interrupted" unless it had decided. */
    signal?: AbortSignal;
    onRecord?: (r: RequestRecord) => void;
    /** Called at most every `progressMs` with the stage as it stands. */
    onProgress?: (s: StageSnapshot) => void;
    progressMs?: number;
    /**
     * Before the judged sample: requests one at a time until the app answers (any status but a
     * proxy's 502/503/504), for at most this long: a revision scaled to zero starts on the first
     * request, and that cold start is the platform's, not the candidate's. Not judged, not
     * recorded. 0 or unset: no warm-up.
     */
    warmUpMs?: number;
}

/** Requests one at a time until the app answers (not a timeout, a connection error or a 502/503/504) or the time is up. */
export async function warmUp(target: HttpTarget, timeLimitMs: number, timeoutMs: number, signal?: AbortSignal): Promise<{ ok: boolean; requests: number }> {
    let ok = false;
    const r = await sample({
        target: samplerTarget(target),
        maxRequests: 1000,
        timeLimitMs,
        timeoutMs: Math.min(timeoutMs, timeLimitMs),
        concurrency: 1,
        ...(signal ? { signal } : {}),
        onOutcome: (o) => (ok = o.kind === "response" && !(o.status >= 502 && o.status <= 504)),
    });
    return { ok, requests: r.completed };
}

export function describeTarget(t: HttpTarget): SampleTarget {
    return { url: t.url, host: t.host ?? new URL(t.url).host, ...(t.address !== undefined ? { address: t.address } : {}) };
}

export function samplerTarget(t: HttpTarget): Target {
    return {
        url: new URL(t.url),
        ...(t.host !== undefined ? { host: t.host } : {}),
        ...(t.address !== undefined ? { address: parseAddress(t.address) } : {}),
    };
}

/** Runs one stage on live traffic. Never throws on network trouble: that is part of the verdict. */
export async function runStage(o: RunStageOptions): Promise<StageOutcome> {
    const { spec } = o;
    if (o.warmUpMs) await warmUp(o.target, o.warmUpMs, o.budget.timeoutMs, o.signal);
    const plan = splitPlanOf(spec);
    let state = initialStage(spec);
    const started = process.hrtime.bigint();
    const every = o.progressMs ?? 250;
    let lastProgress = 0;
    const progress = (force: boolean) => {
        if (!o.onProgress) return;
        const now = Date.now();
        if (!force && now - lastProgress < every) return;
        lastProgress = now;
        o.onProgress(snapshot(spec, plan, state));
    };
    const requests = await sample({
        target: samplerTarget(o.target),
        maxRequests: spec.maxRequests,
        timeLimitMs: o.budget.timeLimitMs,
        timeoutMs: o.budget.timeoutMs,
        concurrency: o.budget.concurrency,
        ...(o.signal ? { signal: o.signal } : {}),
        onOutcome: (outcome) => {
            const t = Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3;
            const record = toRecord(outcome, t);
            state = addRecord(spec, plan, state, record);
            o.onRecord?.(record);
            progress(false);
            return stageProgress(plan, state).decision !== "continue";
        },
    });
    progress(true);
    return concludeStage(spec, plan, state, requests, describeTarget(o.target));
}
