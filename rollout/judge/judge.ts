/**
 * The health judge for one stage of a rollout: the state, how each request updates it, and the
 * decision. Pure functions over small immutable states, so the rollout driver, the tests and the
 * benchmark run exactly the same code.
 *
 * A stage runs a few tests (plan.ts): each has a fail side (an anytime-valid test of "the
 * candidate is within tolerance", at the test's α) and a pass side (an anytime-valid test of "the
 * candidate is worse by the detectable effect", at β). A test is decided by the first side to
 * reject, and stays decided. The stage fails as soon as one test fails, passes once every test has
 * passed, and otherwise goes on; if its request budget ends first it is "inconclusive", never a
 * pass: a test that has not reached its pass side has not shown the candidate healthy.
 *
 * Unattributed errors (a connection error, a timeout, a 5xx that names no revision) are charged to
 * the candidate, as candidate requests that failed, on both sides: they can only make it look
 * worse, never better. Not knowing who failed must not pass a candidate that crashes; the price is
 * that failures of the stable or of the ingress count against the candidate (docs/statistics-rollout.md).
 */
import { Interval } from "../../verifier/stats";
import { HealthPlan, HealthTest, StagePlan } from "./plan";
import {
    alternativePrior,
    Counts,
    logEOneArm,
    logMixture,
    rate,
    rateConfidenceSequence,
    supLogLikelihoodDifference,
    TYPICAL_ERROR_RATE,
} from "./proportions";
import { addLatencies, EMPTY_HISTOGRAM, LatencyHistogram, quantileEstimate, quantileLowerBound, quantileUpperBound } from "./quantiles";

/** One request's outcome. */
export interface Observation {
    /** Which revision answered; undefined when it cannot be attributed (a connection error, a timeout, a 5xx from a proxy that names no version). */
    readonly arm?: "stable" | "candidate";
    /** true for an error: HTTP 5xx, connection error, timeout. */
    readonly error: boolean;
    /** Wall time of the request in ms (only meaningful for non-errors). */
    readonly latencyMs: number;
}

/** Many requests of one arm at once. */
export interface ArmBatch {
    readonly requests: number;
    readonly errors: number;
    /**
     * Latencies of the successful requests. The live judge passes every one; the simulations pass
     * none once the stage's latency tests have decided (they no longer read them), to stay fast.
     */
    readonly latenciesMs?: readonly number[];
}

/** Many requests at once: what `observe` would do for each of them, in one step. */
export interface Batch {
    readonly stable?: ArmBatch;
    readonly candidate?: ArmBatch;
    readonly unattributedErrors?: number;
}

export interface ArmTally {
    readonly requests: number;
    readonly errors: number;
    /** Latencies of successful requests (errors have none worth comparing). */
    readonly latency: LatencyHistogram;
}

/** Where a test stands; a decided test records when, and the statistic that decided it. */
export type TestStatus =
    | { readonly state: "open" }
    | { readonly state: "pass" | "fail"; readonly atRequest: number; readonly statistic: number };

export interface HealthState {
    readonly stage: StagePlan;
    /** Every observation so far, attributed or not. */
    readonly requests: number;
    readonly stable: ArmTally;
    readonly candidate: ArmTally;
    readonly unattributedErrors: number;
    /** One per stage test, in plan order. */
    readonly tests: readonly TestStatus[];
}

const EMPTY_ARM: ArmTally = { requests: 0, errors: 0, latency: EMPTY_HISTOGRAM };

export function initialStageState(stage: StagePlan): HealthState {
    return {
        stage,
        requests: 0,
        stable: EMPTY_ARM,
        candidate: EMPTY_ARM,
        unattributedErrors: 0,
        tests: stage.tests.map((): TestStatus => ({ state: "open" })),
    };
}

/** The state before step `stepIndex`'s first request (0-based). */
export function initialHealthState(plan: HealthPlan, stepIndex: number): HealthState {
    const stage = plan.stepPlans[stepIndex];
    if (stage === undefined) throw new Error(`the plan has ${plan.stepPlans.length} steps; no step index ${stepIndex}`);
    return initialStageState(stage);
}

/** The state before the dark launch's first request. */
export function initialDarkLaunchState(plan: HealthPlan): HealthState {
    return initialStageState(plan.darkLaunch);
}

/** The candidate's counts as the tests see them: its own, plus every unattributed error. */
export function chargedCandidate(state: HealthState): Counts {
    return { requests: state.candidate.requests + state.unattributedErrors, errors: state.candidate.errors + state.unattributedErrors };
}

const latenciesOf = (b: ArmBatch | undefined) => b?.latenciesMs ?? [];

function addArm(arm: ArmTally, b: ArmBatch | undefined): ArmTally {
    if (b === undefined || b.requests === 0) return arm;
    if (!(Number.isInteger(b.requests) && Number.isInteger(b.errors) && b.errors >= 0 && b.errors <= b.requests)) {
        throw new Error(`a batch needs integer counts with 0 ≤ errors ≤ requests, got ${b.errors} of ${b.requests}`);
    }
    if (latenciesOf(b).length > b.requests - b.errors) throw new Error(`a batch has more latencies than successful requests`);
    return { requests: arm.requests + b.requests, errors: arm.errors + b.errors, latency: addLatencies(arm.latency, latenciesOf(b)) };
}

/** The state after a batch of requests; the tests are checked once, at its end. */
export function observeBatch(state: HealthState, batch: Batch): HealthState {
    const unattributed = batch.unattributedErrors ?? 0;
    if (!(Number.isInteger(unattributed) && unattributed >= 0)) throw new Error(`unattributedErrors must be a non-negative integer, got ${unattributed}`);
    const added = (batch.stable?.requests ?? 0) + (batch.candidate?.requests ?? 0) + unattributed;
    const next: HealthState = {
        stage: state.stage,
        requests: state.requests + added,
        stable: addArm(state.stable, batch.stable),
        candidate: addArm(state.candidate, batch.candidate),
        unattributedErrors: state.unattributedErrors + unattributed,
        tests: state.tests,
    };
    const tests = next.stage.tests.map((test, i) => checkTest(test, next, state.tests[i]));
    return tests.every((t, i) => t === state.tests[i]) ? next : { ...next, tests };
}

/**
 * The state after one more request. An answer that names no revision but is not an error cannot
 * be credited to anyone, so it counts as an unattributed error (see the file comment).
 */
export function observe(state: HealthState, obs: Observation): HealthState {
    if (obs.arm === undefined) return observeBatch(state, { unattributedErrors: 1 });
    const arm: ArmBatch = obs.error ? { requests: 1, errors: 1 } : { requests: 1, errors: 0, latenciesMs: [obs.latencyMs] };
    return observeBatch(state, obs.arm === "stable" ? { stable: arm } : { candidate: arm });
}

/** The numbers one test is decided on, now. */
export interface TestReading {
    /**
     * Fail side: the statistic and the limit it must pass. Error tests: an e-value, which must reach
     * 1/α. Latency difference: the smallest difference of the quantiles the confidence bounds allow,
     * which must exceed the tolerance. Latency bound: the quantile's lower bound, above the bound.
     */
    readonly fail: { readonly statistic: number; readonly limit: number; readonly met: boolean };
    /** Pass side: an e-value reaching 1/β, the largest difference allowed below the effect, or the upper bound at or below the bound. */
    readonly pass: { readonly statistic: number; readonly limit: number; readonly met: boolean };
}

/**
 * Reads one test on the state (pure). With `quick`, a side whose null contains the observed rates
 * is not computed (its e-value is at most 1, so it cannot reject) and reads as not met: the check
 * after every request needs only `met`, while reports want every number.
 */
export function readTest(test: HealthTest, state: HealthState, quick = false): TestReading {
    const c = chargedCandidate(state);
    switch (test.kind) {
        case "error-difference": {
            // logEDifference for both sides, sharing the stable's mixture. The fail side's numerator
            // leans towards a candidate worse by the effect (proportions.ts).
            const s = state.stable;
            const diff = (rate(c) ?? 0) - (rate(s) ?? 0);
            const skipFail = quick && diff <= test.tolerance;
            const skipPass = quick && (c.requests === 0 || diff >= test.effect);
            const stableMix = skipFail && skipPass ? 0 : logMixture(s);
            const failE = skipFail
                ? NaN
                : Math.exp(
                      logMixture(c, alternativePrior(TYPICAL_ERROR_RATE + test.effect)) +
                          stableMix -
                          supLogLikelihoodDifference(c, s, test.tolerance, "atMost"),
                  );
            const passE = skipPass ? NaN : Math.exp(logMixture(c) + stableMix - supLogLikelihoodDifference(c, s, test.effect, "atLeast"));
            return eReading(failE, test.alpha, passE, test.beta);
        }
        case "error-bound": {
            const p = rate(c) ?? 0;
            const failE = quick && p <= test.maxRate ? NaN : Math.exp(logEOneArm(c, test.maxRate, "atMost", alternativePrior(test.detectableRate)));
            const passE = quick && (c.requests === 0 || p >= test.detectableRate) ? NaN : Math.exp(logEOneArm(c, test.detectableRate, "atLeast"));
            return eReading(failE, test.alpha, passE, test.beta);
        }
        case "latency-difference": {
            // Two one-sided bounds per side, each at half the side's level (a union over the two arms).
            const { quantile: q } = test;
            const cand = state.candidate.latency;
            const stab = state.stable.latency;
            // Smallest the difference can be (fail side) and largest (pass side).
            const atLeast = quantileLowerBound(cand, q, test.alpha / 2) - quantileUpperBound(stab, q, test.alpha / 2);
            const atMost = quantileUpperBound(cand, q, test.beta / 2) - quantileLowerBound(stab, q, test.beta / 2);
            return {
                fail: { statistic: atLeast, limit: test.toleranceMs, met: atLeast > test.toleranceMs },
                pass: { statistic: atMost, limit: test.effectMs, met: atMost < test.effectMs },
            };
        }
        case "latency-bound": {
            const lower = quantileLowerBound(state.candidate.latency, test.quantile, test.alpha);
            const upper = quantileUpperBound(state.candidate.latency, test.quantile, test.beta);
            return {
                fail: { statistic: lower, limit: test.maxMs, met: lower > test.maxMs },
                pass: { statistic: upper, limit: test.maxMs, met: upper <= test.maxMs },
            };
        }
    }
}

function eReading(failE: number, alpha: number, passE: number, beta: number): TestReading {
    return {
        fail: { statistic: failE, limit: 1 / alpha, met: failE >= 1 / alpha },
        pass: { statistic: passE, limit: 1 / beta, met: passE >= 1 / beta },
    };
}

/** A test's status after the state changed: decided tests stay decided; fail wins a tie. */
function checkTest(test: HealthTest, state: HealthState, was: TestStatus): TestStatus {
    if (was.state !== "open") return was;
    const r = readTest(test, state, true);
    if (r.fail.met) return { state: "fail", atRequest: state.requests, statistic: r.fail.statistic };
    if (r.pass.met) return { state: "pass", atRequest: state.requests, statistic: r.pass.statistic };
    return was;
}

export type HealthDecision = "pass" | "fail" | "continue";
export type HealthVerdict = "pass" | "fail" | "inconclusive";

/** The stage's decision from its tests' statuses alone (cheap: what a simulation polls). */
export function stageDecision(state: HealthState): HealthDecision {
    if (state.tests.some((t) => t.state === "fail")) return "fail";
    return state.tests.every((t) => t.state === "pass") ? "pass" : "continue";
}

/** Whether the stage has used its request budget. */
export function budgetSpent(state: HealthState): boolean {
    return state.requests >= state.stage.maxRequests;
}

/** One revision's figures, for a live view and a summary. */
export interface ArmEvidence {
    readonly requests: number;
    readonly errors: number;
    readonly errorRate: number | undefined;
    /** Time-uniform confidence sequence for the error rate at the stage's level 1 - α (valid at any stopping time). */
    readonly errorRateInterval: Interval;
    /** Successful requests whose latency was recorded. */
    readonly latencySamples: number;
    readonly p50Ms: number | undefined;
    readonly p95Ms: number | undefined;
}

export interface TestEvidence {
    readonly test: HealthTest;
    /** One line: what the test asks. */
    readonly name: string;
    readonly status: TestStatus;
    /** Its numbers now (after a decision they may have moved on; `status` keeps the deciding one). */
    readonly reading: TestReading;
}

export interface HealthEvidence {
    readonly stage: { readonly label: string; readonly percent: number; readonly mode: StagePlan["mode"]; readonly alpha: number };
    readonly requests: number;
    readonly maxRequests: number;
    /** In an absolute stage the stable's answers (if any) are shown but not judged. */
    readonly stable: ArmEvidence;
    /** The candidate's own requests; unattributed errors are shown apart (and charged to it in the tests). */
    readonly candidate: ArmEvidence;
    readonly unattributedErrors: number;
    readonly tests: readonly TestEvidence[];
}

export interface HealthJudgment {
    readonly decision: HealthDecision;
    readonly reasons: string[];
    readonly evidence: HealthEvidence;
}

export interface HealthConclusion {
    readonly verdict: HealthVerdict;
    readonly reasons: string[];
    readonly evidence: HealthEvidence;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const ms = (x: number) => (x === Infinity ? "∞" : `${x.toFixed(1)} ms`);
const num = (x: number) => (x >= 1e6 ? x.toExponential(2) : x >= 100 ? x.toFixed(0) : x.toPrecision(3));
const qName = (q: number) => `p${Math.round(q * 100)}`;

export function describeHealthTest(test: HealthTest): string {
    switch (test.kind) {
        case "error-difference":
            return `error rate, candidate − stable: abort above ${pct(test.tolerance)}, pass below ${pct(test.effect)}`;
        case "error-bound":
            return `error rate: abort above ${pct(test.maxRate)}, pass below ${pct(test.detectableRate)}`;
        case "latency-difference":
            return `latency ${qName(test.quantile)}, candidate − stable: abort above ${test.toleranceMs} ms, pass below ${test.effectMs} ms`;
        case "latency-bound":
            return `latency ${qName(test.quantile)}: abort above ${test.maxMs} ms, pass at or below`;
    }
}

function armEvidence(arm: ArmTally, alpha: number): ArmEvidence {
    return {
        requests: arm.requests,
        errors: arm.errors,
        errorRate: rate(arm),
        errorRateInterval: rateConfidenceSequence(arm, alpha),
        latencySamples: arm.latency.total,
        p50Ms: quantileEstimate(arm.latency, 0.5),
        p95Ms: quantileEstimate(arm.latency, 0.95),
    };
}

export function healthEvidence(state: HealthState): HealthEvidence {
    const { stage } = state;
    return {
        stage: { label: stage.label, percent: stage.percent, mode: stage.mode, alpha: stage.alpha },
        requests: state.requests,
        maxRequests: stage.maxRequests,
        stable: armEvidence(state.stable, stage.alpha),
        candidate: armEvidence(state.candidate, stage.alpha),
        unattributedErrors: state.unattributedErrors,
        tests: stage.tests.map((test, i) => ({ test, name: describeHealthTest(test), status: state.tests[i], reading: readTest(test, state) })),
    };
}

/** Why a test stands where it does, in one sentence. */
function testReason(t: TestEvidence): string {
    const s = t.status;
    const isE = t.test.kind === "error-difference" || t.test.kind === "error-bound";
    if (s.state === "open") {
        const r = t.reading;
        return isE
            ? `${t.name}: undecided (abort e-value ${num(r.fail.statistic)} of ${num(r.fail.limit)}, pass e-value ${num(r.pass.statistic)} of ${num(r.pass.limit)})`
            : `${t.name}: undecided (abort side ${ms(r.fail.statistic)} vs ${t.reading.fail.limit} ms, pass side ${ms(r.pass.statistic)} vs ${t.reading.pass.limit} ms)`;
    }
    const at = `after ${s.atRequest} requests`;
    if (isE) {
        const limit = s.state === "fail" ? t.reading.fail.limit : t.reading.pass.limit;
        return `${t.name}: ${s.state === "fail" ? "ABORT" : "pass"} ${at} (e-value ${num(s.statistic)} ≥ ${num(limit)})`;
    }
    if (t.test.kind === "latency-difference") {
        return s.state === "fail"
            ? `${t.name}: ABORT ${at} (the candidate is at least ${ms(s.statistic)} slower, above ${t.test.toleranceMs} ms)`
            : `${t.name}: pass ${at} (the candidate is at most ${ms(s.statistic)} slower, below ${t.test.effectMs} ms)`;
    }
    return s.state === "fail"
        ? `${t.name}: ABORT ${at} (it is at least ${ms(s.statistic)})`
        : `${t.name}: pass ${at} (it is at most ${ms(s.statistic)})`;
}

/** The decision now, why, and the evidence behind it. */
export function decideHealth(state: HealthState): HealthJudgment {
    const evidence = healthEvidence(state);
    return { decision: stageDecision(state), reasons: evidence.tests.map(testReason), evidence };
}

/**
 * The verdict when the stage stops sending (its budget ended, or the driver stopped it): "pass"
 * only if every test reached its pass side, "fail" if any reached its fail side, otherwise
 * "inconclusive": too little evidence either way, which the driver must not take for a pass.
 */
export function concludeHealth(state: HealthState): HealthConclusion {
    const { decision, reasons, evidence } = decideHealth(state);
    if (decision !== "continue") return { verdict: decision, reasons, evidence };
    const open = evidence.tests.filter((t) => t.status.state === "open").length;
    const why =
        state.requests === 0
            ? "could not judge: no request was observed"
            : state.stage.mode === "comparative" && state.candidate.requests === 0
              ? `could not judge: none of ${state.requests} requests was answered by the candidate`
              : `could not judge: ${open} of ${evidence.tests.length} tests undecided after ${state.requests} requests (budget ${state.stage.maxRequests})`;
    return { verdict: "inconclusive", reasons: [why, ...reasons], evidence };
}
