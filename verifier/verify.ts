/**
 * verifySplit: sample the live URL, classify each answer, run the sequential test, and give a
 * verdict. This file wires the pure parts (classify, sequential, stats) to the sampler; the rules
 * it adds are the error rules, which are pure functions below.
 */
import { classify } from "./classify";
import { sample, SampleSummary, StopReason } from "./sampler";
import {
    CheckOutcome,
    countOf,
    decide,
    decideFixed,
    initialState,
    planSplitTest,
    shareIntervals,
    SplitPlan,
    SplitState,
    step,
    TestSettings,
} from "./sequential";
import { alternatives, exactSampleSize, exactTestPower } from "./stats";
import { VERIFY } from "../model/contract";
import { budgetProblem, parseAddress, urlProblem } from "../model/verify";

export { parseAddress };

export interface VerifyOptions {
    /** The URL users reach the Service by. */
    url: string;
    /** Host header to send; default the URL's host. */
    host?: string;
    /** `host:port` to connect to instead of resolving the URL's host (e.g. the ingress). */
    address?: string;
    /** Expected share per version in percent: integers summing to 100, stable version first. */
    expect: Record<string, number>;
    alpha?: number;
    power?: number;
    /** δ in percentage points: the smallest deviation of a share the test must catch. */
    minEffect?: number;
    maxRequests?: number;
    timeLimitSeconds?: number;
    timeoutMs?: number;
    concurrency?: number;
    /** Errors (connection, timeout, 5xx, unclassifiable) above this share of answers fail the check. */
    maxErrorRate?: number;
}

/** The verifier's defaults: the contract's (model/contract.ts), shared with the stack config. */
export const DEFAULTS = VERIFY.defaults;

/**
 * Errors seen before the error rate may stop a run early: enough that a few transient failures at
 * the start (a cold start, a connection reset) do not end a check that would have passed.
 */
export const EARLY_ERROR_MINIMUM = 10;

/** `inconclusive`: the budget ran out before the test could tell, with less than the asked-for power. */
export type Verdict = "match" | "mismatch" | "inconclusive" | "error";

export interface ErrorCounts {
    connection: number;
    timeout: number;
    serverError: number;
    unclassifiable: number;
    /** Well-formed answers from versions not in the expectation, per version (counted in `unclassifiable`). */
    otherVersions: Record<string, number>;
    total: number;
    /** total / answers received (completed requests). */
    rate: number;
    /** The first few distinct messages, for the report. */
    examples: string[];
}

export interface VersionRow {
    version: string;
    expectedPercent: number;
    count: number;
    observedPercent: number;
    /** Clopper-Pearson interval of the share, in percent, at confidence 1 - α. */
    ci: { lower: number; upper: number };
}

export interface VerifyResult {
    verdict: Verdict;
    exitCode: 0 | 1 | 2;
    /** One sentence: why this verdict. */
    reason: string;
    /** Which test gave the decision. */
    method: "sequential" | "exact-fallback" | "none";
    url: string;
    address?: string;
    host: string;
    test: {
        description: string;
        alpha: number;
        power: number;
        minEffectPoints: number;
        ciLevel: number;
        ciMethod: "clopper-pearson";
        /** Requests the fixed-size exact test would need for the same α, power and δ (SPRT checks only). */
        fixedSampleSize?: number;
    };
    versions: VersionRow[];
    classified: number;
    errors: ErrorCounts;
    maxErrorRate: number;
    requests: SampleSummary;
    checks: CheckOutcome[];
    /** Exact-test fallback only: the smallest two-sided p-value over the checks. */
    pValue?: number;
    /** Exact-test fallback only: its power against a δ deviation at the number of answers collected. */
    fallbackPower?: number;
}

/** Options with defaults applied and the address parsed; throws a usage-style Error on bad input. */
export interface ResolvedOptions {
    url: URL;
    host?: string;
    address?: { host: string; port: number };
    expect: Record<string, number>;
    settings: TestSettings;
    maxRequests: number;
    timeLimitMs: number;
    timeoutMs: number;
    concurrency: number;
    maxErrorRate: number;
}

export function resolveOptions(o: VerifyOptions): ResolvedOptions {
    const problem = urlProblem(o.url);
    if (problem) throw new Error(`--url ${problem}`);
    const url = new URL(o.url);
    const versions = Object.keys(o.expect);
    if (versions.length === 0) throw new Error("--expect names no version");
    for (const [v, pct] of Object.entries(o.expect)) {
        if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`--expect ${v}=${pct}: a share is an integer from 0 to 100`);
    }
    const sum = Object.values(o.expect).reduce((a, b) => a + b, 0);
    if (sum !== 100) throw new Error(`--expect shares must sum to 100, they sum to ${sum}`);
    const alpha = o.alpha ?? DEFAULTS.alpha;
    const power = o.power ?? DEFAULTS.power;
    const minEffect = o.minEffect ?? DEFAULTS.minEffect;
    const check = (ok: boolean, msg: string) => {
        if (!ok) throw new Error(msg);
    };
    check(alpha > 0 && alpha < 0.5, `--alpha must be between 0 and 0.5 (exclusive), got ${alpha}`);
    check(power > 0.5 && power < 1, `--power must be between 0.5 and 1 (exclusive), got ${power}`);
    check(minEffect > 0 && minEffect < 100, `--min-effect must be between 0 and 100 points (exclusive), got ${minEffect}`);
    const maxRequests = o.maxRequests ?? DEFAULTS.maxRequests;
    const timeLimitSeconds = o.timeLimitSeconds ?? DEFAULTS.timeLimitSeconds;
    const timeoutMs = o.timeoutMs ?? DEFAULTS.timeoutMs;
    const concurrency = o.concurrency ?? DEFAULTS.concurrency;
    const maxErrorRate = o.maxErrorRate ?? DEFAULTS.maxErrorRate;
    // The same bounds as the stack config's (model/verify.ts), so what config accepts runs here.
    const bound = (flag: string, key: Parameters<typeof budgetProblem>[0], value: number) => {
        const problem = budgetProblem(key, value);
        if (problem) throw new Error(`--${flag} ${problem}`);
    };
    bound("max-requests", "maxRequests", maxRequests);
    check(timeLimitSeconds > 0 && timeLimitSeconds <= VERIFY.bounds.timeLimitSeconds.max,
        `--time-limit must be a number of seconds above 0 and at most ${VERIFY.bounds.timeLimitSeconds.max}, got ${timeLimitSeconds}`);
    bound("timeout-ms", "timeoutMs", timeoutMs);
    bound("concurrency", "concurrency", concurrency);
    check(maxErrorRate >= 0 && maxErrorRate < 1, `--max-error-rate must be at least 0 and below 1, got ${maxErrorRate}`);
    return {
        url,
        host: o.host,
        address: o.address !== undefined ? addressOption(o.address) : undefined,
        expect: { ...o.expect },
        settings: { alpha, power, delta: minEffect / 100 },
        maxRequests,
        timeLimitMs: Math.round(timeLimitSeconds * 1000),
        timeoutMs,
        concurrency,
        maxErrorRate,
    };
}

function addressOption(address: string): { host: string; port: number } {
    try {
        return parseAddress(address);
    } catch (e) {
        throw new Error(`--address ${(e as Error).message}`);
    }
}

/** Running tally of one verification: the test state and every error. Pure updates via `record`. */
export interface Tally {
    state: SplitState;
    errors: ErrorCounts;
    answers: number;
}

export function emptyTally(plan: SplitPlan): Tally {
    return {
        state: initialState(plan),
        answers: 0,
        errors: { connection: 0, timeout: 0, serverError: 0, unclassifiable: 0, otherVersions: {}, total: 0, rate: 0, examples: [] },
    };
}

type Answer = { kind: "response"; status: number; body: string } | { kind: "error"; error: "connection" | "timeout"; message: string };

/** Adds one outcome to the tally (returns a new tally). */
export function record(plan: SplitPlan, tally: Tally, outcome: Answer): Tally {
    const answers = tally.answers + 1;
    const errors = { ...tally.errors, otherVersions: { ...tally.errors.otherVersions } };
    const note = (msg: string) => {
        if (errors.examples.length < 5 && !errors.examples.includes(msg)) errors.examples = [...errors.examples, msg];
    };
    let state = tally.state;
    if (outcome.kind === "error") {
        errors[outcome.error]++;
        note(`${outcome.error}: ${outcome.message}`);
    } else {
        const c = classify(outcome.status, outcome.body, new Set(Object.keys(plan.expect)));
        if (c.kind === "version") {
            state = step(plan, state, c.version);
        } else if (c.kind === "other-version" && plan.fullVersion !== undefined) {
            // With one version expected at 100%, any other version's answer is a wrong answer.
            state = step(plan, state, c.version);
        } else if (c.kind === "other-version") {
            errors.unclassifiable++;
            errors.otherVersions[c.version] = countOf(errors.otherVersions, c.version) + 1;
            note(`answer from version ${c.version}, which the expectation does not name`);
        } else if (c.kind === "server-error") {
            errors.serverError++;
            note(`HTTP ${c.status}`);
        } else {
            errors.unclassifiable++;
            note(`unclassifiable: HTTP ${outcome.status} ${JSON.stringify(outcome.body.slice(0, 60))}`);
        }
    }
    errors.total = errors.connection + errors.timeout + errors.serverError + errors.unclassifiable;
    errors.rate = errors.total / answers;
    return { state, errors, answers };
}

/** The error rule: too many errors make the sample untrustworthy (errors may hit one version more). */
export function tooManyErrors(tally: Tally, maxErrorRate: number, final: boolean): boolean {
    if (tally.errors.rate <= maxErrorRate) return false;
    return final || tally.errors.total >= EARLY_ERROR_MINIMUM;
}

/** Power of the fixed-size fallback at the n collected: the weakest check against a δ deviation. */
export function fallbackPower(plan: SplitPlan, n: number): number {
    const powers = plan.checks.map((c) =>
        c.kind === "certain"
            ? 1 - (1 - plan.settings.delta) ** n
            : Math.min(...alternatives(c.p0, plan.settings.delta).map((p1) => exactTestPower(n, c.p0, p1, c.alpha))),
    );
    return Math.min(...powers);
}

export function describeTest(plan: SplitPlan): string {
    const { alpha, power, delta } = plan.settings;
    const parts = plan.checks.map((c) =>
        c.kind === "certain"
            ? `${c.version} at ${c.p0 * 100}%: any answer from another version fails; ${c.required} right answers pass ` +
              `(a ${delta * 100}-point deviation shows up with probability ≥ ${power})`
            : `${c.version}'s share: two one-sided Wald SPRTs, H0 p = ${c.p0} vs H1 p = ${c.sides.map((s) => round(s.p1)).join(" / ")}, ` +
              `α = ${c.alpha} (${c.alpha / 2} per side), power ${power}`,
    );
    return `${parts.join("; ")}; δ = ${delta * 100} points, overall α = ${alpha}`;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The verdict from a finished tally (pure: the tests drive it with fixed sequences). */
export function conclude(
    plan: SplitPlan,
    tally: Tally,
    requests: SampleSummary,
    target: { url: string; host: string; address?: string },
    maxErrorRate: number,
): VerifyResult {
    const { state, errors } = tally;
    const intervals = shareIntervals(plan, state);
    const versions: VersionRow[] = Object.keys(plan.expect).map((v) => ({
        version: v,
        expectedPercent: plan.expect[v],
        count: countOf(state.counts, v),
        observedPercent: state.n === 0 ? 0 : (100 * countOf(state.counts, v)) / state.n,
        ci: { lower: 100 * intervals[v].lower, upper: 100 * intervals[v].upper },
    }));
    const sprtChecks = plan.checks.filter((c) => c.kind === "sprt");
    const fixedSampleSize =
        sprtChecks.length > 0
            ? Math.max(...sprtChecks.map((c) => exactSampleSize(c.p0, plan.settings.delta, c.alpha, plan.settings.power).n))
            : undefined;
    const base = {
        url: target.url,
        host: target.host,
        ...(target.address !== undefined ? { address: target.address } : {}),
        test: {
            description: describeTest(plan),
            alpha: plan.settings.alpha,
            power: plan.settings.power,
            minEffectPoints: plan.settings.delta * 100,
            ciLevel: 1 - plan.settings.alpha,
            ciMethod: "clopper-pearson" as const,
            ...(fixedSampleSize !== undefined ? { fixedSampleSize } : {}),
        },
        versions,
        classified: state.n,
        errors,
        maxErrorRate,
        requests,
    };
    const expectText = Object.entries(plan.expect).map(([v, p]) => `${v}=${p}`).join(",");
    const stopped = stopText(requests.stoppedBy);

    if (tally.answers === 0) {
        return { ...base, verdict: "error", exitCode: 2, method: "none", checks: [], reason: `nothing reachable: no request was answered (${stopped})` };
    }
    if (tooManyErrors(tally, maxErrorRate, true)) {
        return {
            ...base,
            verdict: "error",
            exitCode: 2,
            method: "none",
            checks: [],
            reason:
                (state.n === 0 ? "nothing usable reached: " : "too many errors: ") +
                `${errors.total} of ${tally.answers} answers (${pct(errors.rate)}) failed or were unclassifiable, ` +
                `above --max-error-rate ${pct(maxErrorRate)}; the split is not judged on a sample errors may have skewed`,
        };
    }
    if (state.n === 0) {
        return { ...base, verdict: "error", exitCode: 2, method: "none", checks: [], reason: `no answer came from an expected version (${stopped})` };
    }
    const seq = decide(plan, state);
    if (seq.decision !== "continue") {
        const verdict = seq.decision;
        return {
            ...base,
            verdict,
            exitCode: verdict === "match" ? 0 : 1,
            method: "sequential",
            checks: seq.checks,
            reason:
                verdict === "match"
                    ? `the observed split is consistent with ${expectText} (sequential test decided after ${state.n} answers)`
                    : `the observed split differs from ${expectText} (sequential test decided after ${state.n} answers)`,
        };
    }
    // The budget ran out first. The exact test on what was collected may still reject; it may
    // pass only with the power the check was asked for: anything less is "could not judge".
    const fixed = decideFixed(plan, state);
    const pValues = fixed.checks.filter((c) => c.pValue !== undefined).map((c) => c.pValue as number);
    const power = fallbackPower(plan, state.n);
    const enough = power >= plan.settings.power;
    const verdict: Verdict = fixed.decision === "mismatch" ? "mismatch" : enough ? "match" : "inconclusive";
    return {
        ...base,
        verdict,
        exitCode: verdict === "match" ? 0 : verdict === "mismatch" ? 1 : 2,
        method: "exact-fallback",
        checks: fixed.checks,
        ...(pValues.length > 0 ? { pValue: Math.min(...pValues) } : {}),
        fallbackPower: power,
        reason:
            `${stopped} before the sequential test decided; fell back to the exact test on the ${state.n} answers collected: ` +
            (verdict === "mismatch"
                ? `differs from ${expectText}`
                : verdict === "match"
                  ? `consistent with ${expectText}, with ${pct(power)} power against a ${plan.settings.delta * 100}-point deviation`
                  : `could not judge: not inconsistent with ${expectText}, but with ${state.n} answers it had only ${pct(power)} power against a ` +
                    `${plan.settings.delta * 100}-point deviation (${pct(plan.settings.power)} asked for); raise --max-requests or --time-limit`),
    };
}

function stopText(reason: StopReason): string {
    return reason === "max-requests" ? "--max-requests ran out" : reason === "time-limit" ? "--time-limit ran out" : "stopped";
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The library entry point. Throws on invalid options; never on network trouble (that is a verdict). */
export async function verifySplit(options: VerifyOptions): Promise<VerifyResult> {
    const o = resolveOptions(options);
    const plan = planSplitTest(o.expect, o.settings);
    let tally = emptyTally(plan);
    const requests = await sample({
        target: { url: o.url, host: o.host, address: o.address },
        maxRequests: o.maxRequests,
        timeLimitMs: o.timeLimitMs,
        timeoutMs: o.timeoutMs,
        concurrency: o.concurrency,
        onOutcome: (outcome) => {
            tally = record(plan, tally, outcome);
            if (tooManyErrors(tally, o.maxErrorRate, false)) return true;
            return decide(plan, tally.state).decision !== "continue";
        },
    });
    return conclude(plan, tally, requests, { url: o.url.toString(), host: o.host ?? o.url.host, address: options.address }, o.maxErrorRate);
}
