/**
 * Exact binomial statistics for the traffic verifier: tails, the two-sided exact test, its power
 * and sample size, the Clopper-Pearson interval and Wald's SPRT boundaries. Pure functions.
 *
 * Distribution values come from stdlib's binomial CDF/PMF and beta quantile (well-tested
 * incomplete-beta code), not from hand-rolled sums: a 1e-4 tail summed naively over ~600 terms
 * loses the digits a per-deploy α of 0.001 depends on.
 */
import betaQuantile from "@stdlib/stats-base-dists-beta-quantile";
import binomialCdf from "@stdlib/stats-base-dists-binomial-cdf";
import binomialPmf from "@stdlib/stats-base-dists-binomial-pmf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

/** P(X = k) for X ~ Binomial(n, p). */
export function binomPmf(k: number, n: number, p: number): number {
    return binomialPmf(k, n, p);
}

/** P(X ≤ k) for X ~ Binomial(n, p); 0 below the support, 1 above it. */
export function binomCdf(k: number, n: number, p: number): number {
    if (k < 0) return 0;
    if (k >= n) return 1;
    return binomialCdf(k, n, p);
}

/**
 * P(X ≥ k), computed as the lower tail of the complement (n - X ~ Binomial(n, 1 - p)) rather
 * than 1 - P(X ≤ k - 1), which would round a tiny upper tail to 0.
 */
export function binomSf(k: number, n: number, p: number): number {
    return binomCdf(n - k, n, 1 - p);
}

/**
 * Two-sided exact binomial test of H0: p = p0, "central" form: twice the smaller tail, capped
 * at 1. It is the test the Clopper-Pearson interval inverts, so "p0 is outside the (1-α)
 * interval" and "p-value ≤ α" always agree in the report.
 */
export function exactTestPValue(k: number, n: number, p0: number): number {
    if (n === 0) return 1;
    const lower = binomCdf(k, n, p0);
    const upper = binomSf(k, n, p0);
    return Math.min(1, 2 * Math.min(lower, upper));
}

/** Critical values of the central exact test: reject when k ≤ lower or k ≥ upper. */
export interface CriticalValues {
    /** Largest k with P(X ≤ k) ≤ α/2, or -1 when there is none. */
    lower: number;
    /** Smallest k with P(X ≥ k) ≤ α/2, or n + 1 when there is none. */
    upper: number;
}

export function criticalValues(n: number, p0: number, alpha: number): CriticalValues {
    const half = alpha / 2;
    // P(X ≤ k) grows with k: binary search for the last k whose tail is still ≤ α/2.
    let lo = -1;
    let hi = n;
    while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (binomCdf(mid, n, p0) <= half) lo = mid;
        else hi = mid - 1;
    }
    // P(X ≥ k) shrinks with k: the first k whose tail is ≤ α/2.
    let a = 0;
    let b = n + 1;
    while (a < b) {
        const mid = Math.floor((a + b) / 2);
        if (binomSf(mid, n, p0) <= half) b = mid;
        else a = mid + 1;
    }
    return { lower: lo, upper: a };
}

/** Probability that the central exact test at level α rejects p0 after n draws when the truth is p. */
export function exactTestPower(n: number, p0: number, p: number, alpha: number): number {
    const { lower, upper } = criticalValues(n, p0, alpha);
    return binomCdf(lower, n, p) + (upper <= n ? binomSf(upper, n, p) : 0);
}

/** The alternatives a deviation of δ means: p0 - δ and p0 + δ, those inside [0, 1]. */
export function alternatives(p0: number, delta: number): number[] {
    const eps = 1e-12;
    return [p0 - delta, p0 + delta].filter((p) => p >= -eps && p <= 1 + eps).map((p) => Math.min(1, Math.max(0, p)));
}

/**
 * Sample size of the central exact test at level α for the given power against both p0 - δ and
 * p0 + δ (those that are probabilities).
 *
 * The power of an exact test is a sawtooth in n (the critical values jump by one at a time), so
 * "the first n that reaches the power" (`first`) is followed by n that fall short again. The
 * size used (`n`) is the first n from which the power stays at or above the target for every
 * larger n, as sample-size tables for exact tests give: for 50/50 vs 60/40, α = 0.05, 80% power
 * that is 210 (first: 199).
 */
export function exactSampleSize(p0: number, delta: number, alpha: number, power: number, maxN = 100000): { n: number; first: number } {
    const alts = alternatives(p0, delta);
    if (alts.length === 0) throw new Error(`no alternative p0 ± δ lies in [0, 1] (p0 = ${p0}, δ = ${delta})`);
    const enough = (n: number) => alts.every((p) => exactTestPower(n, p0, p, alpha) >= power);
    // Start at half the normal approximation's answer (which runs low) so the scan is short.
    const z = (q: number) => normalQuantile(q, 0, 1);
    const approx = Math.max(
        1,
        Math.floor(
            0.5 *
                Math.min(...alts.map((p) => ((z(1 - alpha / 2) * Math.sqrt(p0 * (1 - p0)) + z(power) * Math.sqrt(p * (1 - p))) / delta) ** 2)),
        ),
    );
    let first = -1;
    let lastShort = approx - 1;
    for (let n = approx; n <= maxN; n++) {
        if (enough(n)) {
            if (first < 0) first = n;
            // The dips shrink as n grows; a clean run of a fifth of n (at least 20) ends them.
            if (n - lastShort > Math.max(20, Math.ceil(n / 5))) return { n: lastShort + 1, first };
        } else {
            lastShort = n;
        }
    }
    throw new Error(`the exact test does not reach power ${power} within ${maxN} requests`);
}

/** A confidence interval for a proportion. */
export interface Interval {
    lower: number;
    upper: number;
}

/**
 * Exact (Clopper-Pearson) interval at confidence 1 - α: the beta quantiles
 * B(α/2; k, n-k+1) and B(1-α/2; k+1, n-k). Conservative: it covers at least 1 - α.
 */
export function clopperPearson(k: number, n: number, alpha: number): Interval {
    if (n === 0) return { lower: 0, upper: 1 };
    const lower = k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
    const upper = k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
    return { lower, upper };
}

/** Wald's SPRT boundaries for error rates α (false alarm) and β (miss). */
export interface WaldBoundaries {
    /** Accept H1 once the likelihood ratio reaches A = (1 - β) / α. */
    A: number;
    /** Accept H0 once it falls to B = β / (1 - α). */
    B: number;
    logA: number;
    logB: number;
}

export function waldBoundaries(alpha: number, beta: number): WaldBoundaries {
    const A = (1 - beta) / alpha;
    const B = beta / (1 - alpha);
    return { A, B, logA: Math.log(A), logB: Math.log(B) };
}

/**
 * Requests a 0%/100% check needs: with the expected version at share 1, a true share of 1 - δ
 * shows a wrong answer in n requests with probability 1 - (1 - δ)^n; the smallest n where that
 * reaches the power. (No false alarm is possible: under H0 a wrong answer never occurs.)
 */
export function zeroCheckSampleSize(delta: number, power: number): number {
    if (delta >= 1) return 1;
    return Math.max(1, Math.ceil(Math.log(1 - power) / Math.log(1 - delta) - 1e-9));
}
