/**
 * One judged stage of a rollout, from one sample of requests: the split (the verifier's sequential
 * test, verifier/sequential.ts) and the candidate's health (rollout/judge), both fed from the same
 * requests in the order they completed. Pure: a stage's state, how one request record updates it,
 * when to stop, and the verdict. The live run (rollout/sampling.ts) and the replay of a samples
 * file (verifier/replay.ts) drive exactly this code.
 *
 * Attribution (which revision answered): the `x-app-version` response header when the app sends
 * one, else the version token of the body (`Hello <TARGET> : <version> !`, verifier/classify.ts),
 * read on 2xx and 5xx answers. A 5xx or a connection error or timeout that names no version is
 * unattributed: the health judge charges it to the candidate (docs/statistics-rollout.md), the
 * split test counts it as an error.
 */
import { versionToken } from "../verifier/classify";
import type { Outcome, SampleSummary } from "../verifier/sampler";
import { countOf, decide, planSplitTest, shareIntervals, SplitPlan, step, type TestSettings } from "../verifier/sequential";
import type { Interval } from "../verifier/stats";
import { conclude, emptyTally, type Tally, type VerifyResult } from "../verifier/verify";
import { VERIFY } from "../model/contract";
import {
    concludeHealth,
    decideHealth,
    initialStageState,
    observe,
    stageDecision,
    type HealthConclusion,
    type HealthEvidence,
    type HealthState,
    type Observation,
    type StagePlan,
} from "./judge";

/** One request as the rollout saw it: a line of the samples file, and all a judgment needs. */
export interface RequestRecord {
    /** ms from the start of the stage's sample to this request's completion. */
    t: number;
    /** HTTP status of an answer (absent for a connection error or a timeout). */
    status?: number;
    error?: "connection" | "timeout";
    /** The version the answer named (x-app-version header, else the body), if any. */
    version?: string;
    latencyMs: number;
}

/** What a sampler outcome becomes in the samples file (the body is reduced to its version token). */
export function toRecord(outcome: Outcome, t: number): RequestRecord {
    const latencyMs = Math.round(outcome.latencyMs * 1000) / 1000;
    if (outcome.kind === "error") return { t, error: outcome.error, latencyMs };
    const { status } = outcome;
    const named = (status >= 200 && status < 300) || status >= 500 ? (outcome.appVersion ?? versionToken(outcome.body)) : outcome.appVersion;
    return { t, status, ...(named !== undefined ? { version: named } : {}), latencyMs };
}

export const isError = (r: RequestRecord) => r.error !== undefined || (r.status ?? 0) >= 500;

/** The health judge's view of one request. */
export function observation(r: RequestRecord, versions: StageVersions): Observation {
    const error = isError(r);
    const arm = r.version === undefined ? undefined : r.version === versions.candidate ? "candidate" : r.version === versions.stable ? "stable" : undefined;
    // A non-error that names no known revision (an ingress 404, another version) is credited to
    // nobody: arm undefined, which the judge counts as an unattributed error.
    return arm === undefined ? { error: true, latencyMs: r.latencyMs } : { arm, error, latencyMs: r.latencyMs };
}

export interface StageVersions {
    stable?: string;
    candidate: string;
}

export type StageKind = "dark-launch" | "resume" | "step" | "rollback-check" | "final-check";

/** What one stage judges, fixed before its first request. */
export interface StageSpec {
    kind: StageKind;
    /** For reports: "dark launch", "step 2 of 4 (25%)", "rollback check (10%)". */
    label: string;
    /** The candidate's traffic percent the stage runs at (0 for the dark launch, through the tag URL). */
    percent: number;
    versions: StageVersions;
    /** The health judge's stage (absent: a split-only check, after a rollback or at the end). */
    health?: StagePlan;
    /** The split the sample must show, version → percent, stable first. */
    expect: Record<string, number>;
    /** The split test's α, power and δ. */
    split: TestSettings;
    /** Requests at most (the judge's budget, capped by the command's --max-requests). */
    maxRequests: number;
}

export interface StageState {
    readonly requests: number;
    readonly health?: HealthState;
    readonly tally: Tally;
}

export function splitPlanOf(spec: StageSpec): SplitPlan {
    return planSplitTest(spec.expect, spec.split);
}

export function initialStage(spec: StageSpec): StageState {
    return { requests: 0, ...(spec.health ? { health: initialStageState(spec.health) } : {}), tally: emptyTally(splitPlanOf(spec)) };
}

/** The split tally after one request, with the verifier's classification rules (verifier/verify.ts `record`). */
function tallySplit(plan: SplitPlan, tally: Tally, r: RequestRecord): Tally {
    const answers = tally.answers + 1;
    const errors = { ...tally.errors, otherVersions: { ...tally.errors.otherVersions } };
    const note = (msg: string) => {
        if (errors.examples.length < 5 && !errors.examples.includes(msg)) errors.examples = [...errors.examples, msg];
    };
    let state = tally.state;
    if (r.version !== undefined && (Object.hasOwn(plan.expect, r.version) || plan.fullVersion !== undefined)) {
        // Named by its answer: routed there, whatever the status. With one version at 100%, any
        // other version's answer is a wrong answer.
        state = step(plan, state, r.version);
    } else if (r.error !== undefined) {
        errors[r.error]++;
        note(r.error);
    } else if (r.version !== undefined) {
        errors.unclassifiable++;
        errors.otherVersions[r.version] = countOf(errors.otherVersions, r.version) + 1;
        note(`answer from version ${r.version}, which the expectation does not name`);
    } else if ((r.status ?? 0) >= 500) {
        errors.serverError++;
        note(`HTTP ${r.status}`);
    } else {
        errors.unclassifiable++;
        note(`unclassifiable: HTTP ${r.status}`);
    }
    errors.total = errors.connection + errors.timeout + errors.serverError + errors.unclassifiable;
    errors.rate = errors.total / answers;
    return { state, errors, answers };
}

/** The stage after one more request (a new state; the old one is unchanged). */
export function addRecord(spec: StageSpec, plan: SplitPlan, s: StageState, r: RequestRecord): StageState {
    return {
        requests: s.requests + 1,
        ...(s.health ? { health: observe(s.health, observation(r, spec.versions)) } : {}),
        tally: tallySplit(plan, s.tally, r),
    };
}

export type Decision = "pass" | "fail" | "continue";

/** Whether the sample can stop: as soon as either judgment fails, or once both have passed. */
export function stageProgress(plan: SplitPlan, s: StageState): { decision: Decision; health: Decision; split: "match" | "mismatch" | "continue" } {
    const health = s.health ? stageDecision(s.health) : "pass";
    const split = decide(plan, s.tally.state).decision;
    const decision: Decision = health === "fail" || split === "mismatch" ? "fail" : health === "pass" && split === "match" ? "pass" : "continue";
    return { decision, health, split };
}

export type StageVerdict = "pass" | "fail" | "inconclusive" | "interrupted";

export interface StageOutcome {
    spec: StageSpec;
    verdict: StageVerdict;
    /** One line each: why. */
    reasons: string[];
    health?: HealthConclusion;
    split: VerifyResult;
    requests: SampleSummary;
}

export interface SampleTarget {
    url: string;
    host: string;
    address?: string;
}

/** The verdict on a finished sample. Never "pass" unless both judgments passed. */
export function concludeStage(spec: StageSpec, plan: SplitPlan, s: StageState, requests: SampleSummary, target: SampleTarget): StageOutcome {
    const health = s.health ? concludeHealth(s.health) : undefined;
    const split = conclude(plan, s.tally, requests, target, VERIFY.defaults.maxErrorRate);
    const healthVerdict = health?.verdict ?? "pass";
    const reasons: string[] = [];
    if (health) reasons.push(...health.reasons);
    reasons.push(`split: ${split.verdict}: ${split.reason}`);
    let verdict: StageVerdict;
    if (healthVerdict === "fail" || split.verdict === "mismatch") verdict = "fail";
    else if (healthVerdict === "pass" && split.verdict === "match") verdict = "pass";
    else verdict = requests.stoppedBy === "aborted" ? "interrupted" : "inconclusive";
    return { spec, verdict, reasons, ...(health ? { health } : {}), split, requests };
}

/** What a live view shows mid-stage. */
export interface StageSnapshot {
    label: string;
    requests: number;
    maxRequests: number;
    /** Per expected version: answers, observed share and its interval (at the split's α), in percent. */
    split: { version: string; expected: number; count: number; share: number; interval: Interval }[];
    health?: HealthEvidence;
    decision: Decision;
    /** One line per test: where it stands. */
    reasons: string[];
}

export function snapshot(spec: StageSpec, plan: SplitPlan, s: StageState): StageSnapshot {
    const intervals = shareIntervals(plan, s.tally.state);
    const n = s.tally.state.n;
    const judged = s.health ? decideHealth(s.health) : undefined;
    return {
        label: spec.label,
        requests: s.requests,
        maxRequests: spec.maxRequests,
        split: Object.keys(spec.expect).map((v) => ({
            version: v,
            expected: spec.expect[v],
            count: countOf(s.tally.state.counts, v),
            share: n === 0 ? 0 : (100 * countOf(s.tally.state.counts, v)) / n,
            interval: { lower: 100 * intervals[v].lower, upper: 100 * intervals[v].upper },
        })),
        ...(judged ? { health: judged.evidence } : {}),
        decision: stageProgress(plan, s).decision,
        reasons: judged?.reasons ?? [],
    };
}

/** Judges a whole recorded sample at once (the replay, and tests). */
export function judgeRecords(spec: StageSpec, records: readonly RequestRecord[], target: SampleTarget, stopEarly = true): StageOutcome {
    const plan = splitPlanOf(spec);
    let s = initialStage(spec);
    let stoppedBy: SampleSummary["stoppedBy"] = "max-requests";
    for (const r of records) {
        if (s.requests >= spec.maxRequests) break;
        s = addRecord(spec, plan, s, r);
        if (stopEarly && stageProgress(plan, s).decision !== "continue") {
            stoppedBy = "observer";
            break;
        }
    }
    const elapsedMs = s.requests === 0 ? 0 : records[s.requests - 1].t;
    return concludeStage(spec, plan, s, requestsSummary(s.requests, elapsedMs, stoppedBy), target);
}

function requestsSummary(n: number, elapsedMs: number, stoppedBy: SampleSummary["stoppedBy"]): SampleSummary {
    return { sent: n, completed: n, cancelled: 0, elapsedMs, stoppedBy };
}
