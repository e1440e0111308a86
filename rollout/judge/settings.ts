/**
 * The health judge's settings and their defaults: the one place DEFAULT_HEALTH_SETTINGS is
 * defined. Rates are proportions (0.01 = 1 point); latencies are milliseconds. Why each default
 * is what it is: docs/statistics-rollout.md.
 */

/** "The q-quantile of the candidate's latency is at most maxMs." */
export interface LatencyBound {
    readonly quantile: number;
    readonly maxMs: number;
}

/**
 * Bounds for a candidate judged alone: in the dark launch (0%, through its tag URL) and at any
 * step where the stable revision gets no traffic (100%), so there is nothing to compare with.
 */
export interface AbsoluteBounds {
    /** Abort only on evidence the error rate is above this. */
    readonly maxErrorRate: number;
    /** Pass only on evidence the error rate is below this (> maxErrorRate; the gap is the indifference zone). */
    readonly detectableErrorRate: number;
    /** Abort on evidence a quantile is above its bound; pass on evidence it is at or below. */
    readonly latency: readonly LatencyBound[];
}

export interface HealthSettings {
    /** Probability of aborting a healthy candidate anywhere in the rollout (dark launch and all steps together). */
    readonly alpha: number;
    /** Per step: probability of passing a candidate that is worse by the detectable effect (power = 1 - β). */
    readonly beta: number;
    /** The candidate may be this much worse than the stable in error rate (0.01 = 1 point) without an abort. */
    readonly errorRateTolerance: number;
    /** A step passes only on evidence the candidate is less than this much worse (0.02 = 2 points). */
    readonly errorRateEffect: number;
    /** Which latency quantile is compared between the revisions (0.5: the median). */
    readonly latencyQuantile: number;
    /** The candidate's quantile may be this many ms above the stable's without an abort. */
    readonly latencyToleranceMs: number;
    /** A step passes only on evidence the candidate's quantile is less than this many ms above. */
    readonly latencyEffectMs: number;
    /**
     * The sample budget, in requests, of a stage that judges the candidate alone (the dark launch,
     * a 100% step). A step where the candidate has share s of the traffic may send
     * requestBudget × (1/s + 1/(1 - s)) requests: the variance of a difference of two error rates
     * is ∝ 1/n_candidate + 1/n_stable, so that buys the comparison the precision `requestBudget`
     * requests give a single rate (at 10%: 11.1 times as many). A stage that has not decided when
     * its budget is spent ends "inconclusive".
     */
    readonly requestBudget: number;
    readonly absolute: AbsoluteBounds;
}

export const DEFAULT_HEALTH_SETTINGS: HealthSettings = {
    alpha: 0.05,
    beta: 0.05,
    errorRateTolerance: 0.01,
    errorRateEffect: 0.02,
    latencyQuantile: 0.5,
    latencyToleranceMs: 25,
    latencyEffectMs: 50,
    requestBudget: 8_000,
    absolute: {
        maxErrorRate: 0.01,
        detectableErrorRate: 0.02,
        latency: [
            { quantile: 0.5, maxMs: 100 },
            { quantile: 0.95, maxMs: 500 },
        ],
    },
};

/** Throws an Error naming the first setting out of range; returns the settings otherwise. */
export function checkHealthSettings(s: HealthSettings): HealthSettings {
    const check = (ok: boolean, msg: string) => {
        if (!ok) throw new Error(msg);
    };
    const probability = (x: number) => x > 0 && x < 1;
    check(probability(s.alpha) && s.alpha < 0.5, `alpha must be between 0 and 0.5 (exclusive), got ${s.alpha}`);
    check(probability(s.beta) && s.beta < 0.5, `beta must be between 0 and 0.5 (exclusive), got ${s.beta}`);
    check(s.errorRateTolerance >= 0 && s.errorRateTolerance < 1, `errorRateTolerance must be in [0, 1), got ${s.errorRateTolerance}`);
    check(
        s.errorRateEffect > s.errorRateTolerance && s.errorRateEffect < 1,
        `errorRateEffect must be above errorRateTolerance (${s.errorRateTolerance}) and below 1, got ${s.errorRateEffect}`,
    );
    check(probability(s.latencyQuantile), `latencyQuantile must be between 0 and 1 (exclusive), got ${s.latencyQuantile}`);
    check(s.latencyToleranceMs >= 0, `latencyToleranceMs must be at least 0, got ${s.latencyToleranceMs}`);
    check(
        s.latencyEffectMs > s.latencyToleranceMs,
        `latencyEffectMs must be above latencyToleranceMs (${s.latencyToleranceMs}), got ${s.latencyEffectMs}`,
    );
    check(Number.isInteger(s.requestBudget) && s.requestBudget >= 1, `requestBudget must be a positive integer, got ${s.requestBudget}`);
    const a = s.absolute;
    check(a.maxErrorRate >= 0 && a.maxErrorRate < 1, `absolute.maxErrorRate must be in [0, 1), got ${a.maxErrorRate}`);
    check(
        a.detectableErrorRate > a.maxErrorRate && a.detectableErrorRate <= 1,
        `absolute.detectableErrorRate must be above maxErrorRate (${a.maxErrorRate}) and at most 1, got ${a.detectableErrorRate}`,
    );
    for (const b of a.latency) {
        check(probability(b.quantile), `absolute.latency quantile must be between 0 and 1 (exclusive), got ${b.quantile}`);
        check(b.maxMs > 0, `absolute.latency bound for quantile ${b.quantile} must be positive, got ${b.maxMs}`);
    }
    return s;
}
