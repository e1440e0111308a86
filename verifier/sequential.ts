/**
 * The decision procedure: which checks a expected split needs, how each response updates them,
 * and when the evidence is enough. Pure functions over small immutable states, so the CLI, the
 * tests and the benchmark drive exactly the same code.
 *
 * Per tested version v with expected share p0 (0 < p0 < 1), two one-sided Wald SPRTs on the
 * Bernoulli stream "this response is v":
 *   upper: H0 p = p0 vs H1 p = p0 + δ,   lower: H0 p = p0 vs H1 p = p0 - δ,
 * each at false-alarm α/2 and miss β = 1 - power (Sobel & Wald's two-sided procedure). The split
 * is a mismatch as soon as either side accepts its H1, a match once both have accepted H0. A side
 * whose alternative is not a probability (p0 + δ > 1) is dropped: no deviation of δ that way exists.
 *
 * Which versions are tested: with k versions the shares sum to 1, so k - 1 of them carry all the
 * information; the first named (the stable one, as the Pulumi program orders them) is implied.
 * With two versions that is exactly "the candidate's share". More than two split α evenly
 * (Bonferroni) over the SPRT checks.
 *
 * 0% and 100%: no false alarm is possible (a correct proxy never sends a request to a 0%
 * revision), so one wrong answer is a mismatch, and enough right answers to have seen a δ
 * deviation with the requested power is a match (`zeroCheckSampleSize`).
 */
import { VERIFY } from "../model/contract";
import { alternatives, clopperPearson, exactTestPValue, Interval, waldBoundaries, zeroCheckSampleSize } from "./stats";

/** The test's parameters; δ is a proportion (10 points = 0.1). */
export interface TestSettings {
    alpha: number;
    power: number;
    delta: number;
}

/** The contract's defaults (model/contract.ts), δ as a proportion. */
export const DEFAULT_SETTINGS: TestSettings = { alpha: VERIFY.defaults.alpha, power: VERIFY.defaults.power, delta: VERIFY.defaults.minEffect / 100 };

/** A count by version; only own properties count (a version may be named `constructor`). */
export const countOf = (counts: Readonly<Record<string, number>>, version: string): number => (Object.hasOwn(counts, version) ? counts[version] : 0);

/** One one-sided SPRT: H0 p = p0 against H1 p = p1. */
export interface SprtSide {
    readonly p1: number;
    /** log-likelihood-ratio increment for a response from the version, and for one from another. */
    readonly hit: number;
    readonly miss: number;
    readonly logA: number;
    readonly logB: number;
}

export interface SprtCheck {
    readonly kind: "sprt";
    readonly version: string;
    readonly p0: number;
    /** This check's share of the overall α (Bonferroni over SPRT checks). */
    readonly alpha: number;
    readonly sides: readonly SprtSide[];
}

/** A 0% or 100% expectation: any wrong answer fails; `required` right answers pass. */
export interface CertainCheck {
    readonly kind: "certain";
    readonly version: string;
    readonly p0: 0 | 1;
    readonly required: number;
}

export type Check = SprtCheck | CertainCheck;

export interface SplitPlan {
    /** Expected shares in percent, in the order given. */
    readonly expect: Readonly<Record<string, number>>;
    readonly settings: TestSettings;
    readonly checks: readonly Check[];
    /**
     * The version expected at 100%, if any: then an answer naming any other version, even one not
     * in the expectation, is a wrong answer rather than an unclassifiable one.
     */
    readonly fullVersion?: string;
}

/** Builds the checks for an expected split (percentages summing to 100). */
export function planSplitTest(expect: Readonly<Record<string, number>>, settings: TestSettings = DEFAULT_SETTINGS): SplitPlan {
    const versions = Object.keys(expect);
    const full = versions.find((v) => expect[v] === 100);
    const beta = 1 - settings.power;
    if (full !== undefined) {
        const check: CertainCheck = { kind: "certain", version: full, p0: 1, required: zeroCheckSampleSize(settings.delta, settings.power) };
        return { expect, settings, checks: [check], fullVersion: full };
    }
    const tested = versions.slice(1);
    const sprtCount = tested.filter((v) => expect[v] > 0).length;
    const checks = tested.map((version): Check => {
        const p0 = expect[version] / 100;
        if (p0 === 0) return { kind: "certain", version, p0: 0, required: zeroCheckSampleSize(settings.delta, settings.power) };
        const alpha = settings.alpha / sprtCount;
        const { logA, logB } = waldBoundaries(alpha / 2, beta);
        const sides = alternatives(p0, settings.delta)
            .filter((p1) => p1 !== p0)
            .map((p1) => ({ p1, hit: Math.log(p1 / p0), miss: Math.log((1 - p1) / (1 - p0)), logA, logB }));
        return { kind: "sprt", version, p0, alpha, sides };
    });
    return { expect, settings, checks };
}

/** Where a side stands: still open, or decided at the n-th classified response. */
export type SideState = { readonly decided: "open" } | { readonly decided: "H0" | "H1"; readonly at: number; readonly llr: number };

export interface SplitState {
    /** Classified responses so far. */
    readonly n: number;
    /** Responses per version (including versions outside the expectation when fullVersion is set). */
    readonly counts: Readonly<Record<string, number>>;
    /** Per check, per side (a certain check has none). */
    readonly sides: readonly (readonly SideState[])[];
}

export function initialState(plan: SplitPlan): SplitState {
    const counts: Record<string, number> = {};
    for (const v of Object.keys(plan.expect)) counts[v] = 0;
    return { n: 0, counts, sides: plan.checks.map((c) => (c.kind === "sprt" ? c.sides.map((): SideState => ({ decided: "open" })) : [])) };
}

/** Log-likelihood ratio of a side after k hits in n responses (−Infinity when H1 is refuted). */
export function sideLlr(side: SprtSide, k: number, n: number): number {
    // 0 · (−∞) must be 0: with p1 = 0 or 1 a count of zero contributes nothing.
    const hits = k === 0 ? 0 : k * side.hit;
    const misses = n - k === 0 ? 0 : (n - k) * side.miss;
    return hits + misses;
}

/** The state after one more classified response, from `version`. */
export function step(plan: SplitPlan, state: SplitState, version: string): SplitState {
    const n = state.n + 1;
    const counts = { ...state.counts, [version]: countOf(state.counts, version) + 1 };
    const sides = plan.checks.map((check, i) => {
        if (check.kind !== "sprt") return state.sides[i];
        const k = countOf(counts, check.version);
        return check.sides.map((side, j): SideState => {
            const was = state.sides[i][j];
            if (was.decided !== "open") return was; // a side stops once it has decided
            const llr = sideLlr(side, k, n);
            if (llr >= side.logA) return { decided: "H1", at: n, llr };
            if (llr <= side.logB) return { decided: "H0", at: n, llr };
            return was;
        });
    });
    return { n, counts, sides };
}

export type Decision = "match" | "mismatch" | "continue";

/** What one check concluded, and the evidence, for the report. */
export interface CheckOutcome {
    version: string;
    p0: number;
    decision: Decision;
    /** Responses from this version / classified responses. */
    k: number;
    n: number;
    /** SPRT: the likelihood ratio of each side (p1 → LR) at its decision, or now when open. */
    likelihoodRatios?: { p1: number; lr: number; decided: "open" | "H0" | "H1"; A: number; B: number }[];
    /** Exact test (fallback): two-sided p-value against this check's α. */
    pValue?: number;
    /** Certain check: wrong answers seen, right answers required. */
    wrong?: number;
    required?: number;
}

function certainOutcome(check: CertainCheck, state: SplitState, final: boolean): CheckOutcome {
    const k = countOf(state.counts, check.version);
    const wrong = check.p0 === 1 ? state.n - k : k;
    const right = state.n - wrong;
    const decision: Decision = wrong > 0 ? "mismatch" : right >= check.required || final ? "match" : "continue";
    return { version: check.version, p0: check.p0, decision, k, n: state.n, wrong, required: check.required };
}

/** The sequential decision now: mismatch if any check says so, match once all do. */
export function decide(plan: SplitPlan, state: SplitState): { decision: Decision; checks: CheckOutcome[] } {
    const checks = plan.checks.map((check, i): CheckOutcome => {
        if (check.kind === "certain") return certainOutcome(check, state, false);
        const k = countOf(state.counts, check.version);
        const sides = state.sides[i];
        const decision: Decision = sides.some((s) => s.decided === "H1")
            ? "mismatch"
            : sides.every((s) => s.decided === "H0")
              ? "match"
              : "continue";
        const likelihoodRatios = check.sides.map((side, j) => {
            const s = sides[j];
            return {
                p1: side.p1,
                lr: Math.exp(s.decided === "open" ? sideLlr(side, k, state.n) : s.llr),
                decided: s.decided,
                A: Math.exp(side.logA),
                B: Math.exp(side.logB),
            };
        });
        return { version: check.version, p0: check.p0, decision, k, n: state.n, likelihoodRatios };
    });
    return { decision: combine(checks), checks };
}

/**
 * The fallback when the budget ran out first: the fixed-size exact test on what was collected,
 * each SPRT check at its own α; a certain check passes if no wrong answer came.
 */
export function decideFixed(plan: SplitPlan, state: SplitState): { decision: Decision; checks: CheckOutcome[] } {
    const checks = plan.checks.map((check): CheckOutcome => {
        if (check.kind === "certain") return certainOutcome(check, state, true);
        const k = countOf(state.counts, check.version);
        const pValue = exactTestPValue(k, state.n, check.p0);
        return { version: check.version, p0: check.p0, decision: pValue <= check.alpha ? "mismatch" : "match", k, n: state.n, pValue };
    });
    return { decision: combine(checks), checks };
}

function combine(checks: CheckOutcome[]): Decision {
    if (checks.some((c) => c.decision === "mismatch")) return "mismatch";
    return checks.every((c) => c.decision === "match") ? "match" : "continue";
}

/** Per version, the exact (Clopper-Pearson) interval of its share at confidence 1 - α. */
export function shareIntervals(plan: SplitPlan, state: SplitState): Record<string, Interval> {
    const out: Record<string, Interval> = {};
    for (const v of Object.keys(plan.expect)) out[v] = clopperPearson(countOf(state.counts, v), state.n, plan.settings.alpha);
    return out;
}
