/**
 * α spending: how the rollout's one false-abort budget is shared among the dark launch and the
 * steps, and within each among its tests. A pure function of the planned steps and the settings,
 * fixed before the first request, so no look at the data can move it.
 *
 * Every test's fail side is anytime-valid at its own α_t, so P(any false abort) ≤ Σ α_t = α by the
 * union bound, whatever the dependence between steps and however often each is checked.
 *
 * Between stages: α_k ∝ 1 / (the candidate's share of the stage's requests). A test at level α_k
 * needs roughly ln(1/α_k) / (share_k · information per candidate request) requests, and minimising
 * Σ_k ln(1/α_k) / share_k subject to Σ α_k = α gives α_k ∝ 1 / share_k (Lagrange). So the 10% step,
 * where evidence about the candidate is ten times as dear, gets ten times the α of the 100% step.
 * The dark launch sends everything to the candidate: share 1.
 *
 * Within a stage: the error-rate test gets ERROR_TEST_WEIGHT parts and each latency test one.
 * Rare errors carry far less information per request than latencies (a +50 ms shift is decided in
 * tens of candidate requests, a +1 point error rate in thousands), so α is worth more to it.
 */
import { checkHealthSettings, HealthSettings, LatencyBound } from "./settings";

/** The error-rate test's weight against each latency test's weight of 1 in a stage's α. */
export const ERROR_TEST_WEIGHT = 3;

/** Candidate minus stable error rate: fail on evidence it exceeds `tolerance`, pass on evidence it is below `effect`. */
export interface ErrorDifferenceTest {
    readonly kind: "error-difference";
    readonly alpha: number;
    readonly beta: number;
    readonly tolerance: number;
    readonly effect: number;
}

/** The candidate's error rate alone: fail on evidence it exceeds `maxRate`, pass on evidence it is below `detectableRate`. */
export interface ErrorBoundTest {
    readonly kind: "error-bound";
    readonly alpha: number;
    readonly beta: number;
    readonly maxRate: number;
    readonly detectableRate: number;
}

/** Candidate minus stable latency quantile: fail above `toleranceMs`, pass below `effectMs`. */
export interface LatencyDifferenceTest {
    readonly kind: "latency-difference";
    readonly alpha: number;
    readonly beta: number;
    readonly quantile: number;
    readonly toleranceMs: number;
    readonly effectMs: number;
}

/** The candidate's latency quantile alone: fail on evidence it is above `maxMs`, pass on evidence it is at or below. */
export interface LatencyBoundTest {
    readonly kind: "latency-bound";
    readonly alpha: number;
    readonly beta: number;
    readonly quantile: number;
    readonly maxMs: number;
}

export type HealthTest = ErrorDifferenceTest | ErrorBoundTest | LatencyDifferenceTest | LatencyBoundTest;

/**
 * One judged stage. "comparative": stable and candidate side by side in the same sample;
 * "absolute": the candidate alone against fixed bounds (the dark launch, and a step at 100%,
 * where no request reaches the stable).
 */
export interface StagePlan {
    readonly kind: "dark-launch" | "step";
    /** Position among the steps (0-based); -1 for the dark launch. */
    readonly stepIndex: number;
    /** For reports: "dark launch", "step 1 of 4 (10%)". */
    readonly label: string;
    /** The candidate's traffic percent (0 for the dark launch, reached through its tag URL). */
    readonly percent: number;
    readonly mode: "comparative" | "absolute";
    /** This stage's share of the rollout's α (the sum over its tests). */
    readonly alpha: number;
    readonly tests: readonly HealthTest[];
    /** The stage's sample budget in requests (`stageBudget`). */
    readonly maxRequests: number;
}

export interface HealthPlan {
    readonly settings: HealthSettings;
    readonly steps: readonly number[];
    readonly darkLaunch: StagePlan;
    readonly stepPlans: readonly StagePlan[];
    /** Σ of the stages' α: equal to settings.alpha up to rounding. */
    readonly alphaSpent: number;
}

/** Steps must be integers in 1..100, strictly increasing. Throws a usage-style Error otherwise. */
export function checkSteps(steps: readonly number[]): readonly number[] {
    if (steps.length === 0) throw new Error("the rollout names no step");
    steps.forEach((p, i) => {
        if (!Number.isInteger(p) || p < 1 || p > 100) throw new Error(`step ${i + 1}: a traffic percent is an integer from 1 to 100, got ${p}`);
        if (i > 0 && p <= steps[i - 1]) throw new Error(`steps must increase: ${steps[i - 1]} then ${p}`);
    });
    return steps;
}

/**
 * A step's sample budget in requests: `requestBudget` for a candidate judged alone (100%), and
 * requestBudget × (1/s + 1/(1 - s)) for a comparison at share s (see HealthSettings.requestBudget).
 */
export function stageBudget(percent: number, requestBudget: number): number {
    if (percent >= 100) return requestBudget;
    const s = percent / 100;
    return Math.ceil(requestBudget * (1 / s + 1 / (1 - s)));
}

/** Stage weights for α: 1 / (the candidate's share of the stage's requests). */
export function stageWeights(steps: readonly number[]): { darkLaunch: number; steps: number[] } {
    return { darkLaunch: 1, steps: steps.map((p) => 100 / p) };
}

function absoluteTests(alpha: number, settings: HealthSettings): HealthTest[] {
    const { beta, absolute } = settings;
    const parts = ERROR_TEST_WEIGHT + absolute.latency.length;
    const latency = (b: LatencyBound): LatencyBoundTest => ({
        kind: "latency-bound",
        alpha: alpha / parts,
        beta,
        quantile: b.quantile,
        maxMs: b.maxMs,
    });
    return [
        {
            kind: "error-bound",
            alpha: (alpha * ERROR_TEST_WEIGHT) / parts,
            beta,
            maxRate: absolute.maxErrorRate,
            detectableRate: absolute.detectableErrorRate,
        },
        ...absolute.latency.map(latency),
    ];
}

function comparativeTests(alpha: number, settings: HealthSettings): HealthTest[] {
    const parts = ERROR_TEST_WEIGHT + 1;
    return [
        {
            kind: "error-difference",
            alpha: (alpha * ERROR_TEST_WEIGHT) / parts,
            beta: settings.beta,
            tolerance: settings.errorRateTolerance,
            effect: settings.errorRateEffect,
        },
        {
            kind: "latency-difference",
            alpha: alpha / parts,
            beta: settings.beta,
            quantile: settings.latencyQuantile,
            toleranceMs: settings.latencyToleranceMs,
            effectMs: settings.latencyEffectMs,
        },
    ];
}

/** The plan for a rollout through `steps` (percentages), with its dark launch first. */
export function planHealth(steps: readonly number[], settings: HealthSettings): HealthPlan {
    checkSteps(steps);
    checkHealthSettings(settings);
    const weights = stageWeights(steps);
    const total = weights.darkLaunch + weights.steps.reduce((a, b) => a + b, 0);
    const share = (w: number) => (settings.alpha * w) / total;
    const darkAlpha = share(weights.darkLaunch);
    const darkLaunch: StagePlan = {
        kind: "dark-launch",
        stepIndex: -1,
        label: "dark launch",
        percent: 0,
        mode: "absolute",
        alpha: darkAlpha,
        tests: absoluteTests(darkAlpha, settings),
        maxRequests: settings.requestBudget,
    };
    const stepPlans = steps.map((percent, i): StagePlan => {
        const alpha = share(weights.steps[i]);
        // At 100% no request reaches the stable: nothing to compare with, so the absolute bounds.
        const mode = percent === 100 ? "absolute" : "comparative";
        return {
            kind: "step",
            stepIndex: i,
            label: `step ${i + 1} of ${steps.length} (${percent}%)`,
            percent,
            mode,
            alpha,
            tests: mode === "absolute" ? absoluteTests(alpha, settings) : comparativeTests(alpha, settings),
            maxRequests: stageBudget(percent, settings.requestBudget),
        };
    });
    const alphaSpent = [darkLaunch, ...stepPlans].reduce((sum, s) => sum + s.tests.reduce((t, x) => t + x.alpha, 0), 0);
    return { settings, steps: [...steps], darkLaunch, stepPlans, alphaSpent };
}
