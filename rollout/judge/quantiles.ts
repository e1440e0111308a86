/**
 * Latency: a compact histogram of one arm's latencies and an anytime-valid confidence sequence
 * for one of its quantiles. Pure functions; a histogram is never changed in place.
 *
 * Why a histogram: a step may see tens of thousands of requests, and the judge's state is copied
 * on every observation. Log-spaced bins 2% wide keep it at a fixed size, and every bound read from
 * it is rounded outwards (a lower bound to its bin's lower edge, an upper bound to its upper edge),
 * so binning can only widen an interval, never break its coverage.
 *
 * The confidence sequence (after Howard & Ramdas, "Sequential estimation of quantiles"): for the
 * true q-quantile m, the number of latencies at or below m is a Binomial(n, F(m)) count with
 * F(m) ≥ q, and the number strictly below m one with F(m−) ≤ q. A one-sided mixture e-value on
 * each count (uniform prior over the alternative side) crosses 1/α with probability at most α at
 * any n, and because the counts are monotone in the threshold, one check at m covers every
 * threshold at once. Inverting it gives order statistics as bounds.
 */
import { binomCdf, binomPmf, binomSf } from "../../verifier/stats";

/** Bin 0 is [0, FIRST_EDGE_MS); bin i ≥ 1 is [FIRST_EDGE_MS · RATIO^(i-1), FIRST_EDGE_MS · RATIO^i); the last is open. */
const FIRST_EDGE_MS = 0.1;
const RATIO = 1.02;
/** Enough bins to reach 10 minutes, beyond any request timeout. */
const BINS = 2 + Math.ceil(Math.log(600_000 / FIRST_EDGE_MS) / Math.log(RATIO));

export interface LatencyHistogram {
    /** Latencies per bin. Never mutated: `addLatencies` returns a new histogram. */
    readonly counts: Uint32Array;
    readonly total: number;
}

export const EMPTY_HISTOGRAM: LatencyHistogram = { counts: new Uint32Array(BINS), total: 0 };

export function binIndex(ms: number): number {
    if (!(ms >= FIRST_EDGE_MS)) return 0; // also NaN and negatives: the bottom bin
    return Math.min(BINS - 1, 1 + Math.floor(Math.log(ms / FIRST_EDGE_MS) / Math.log(RATIO)));
}

/** The edges of bin i, in ms (the last bin's upper edge is Infinity). */
export function binEdges(i: number): { lower: number; upper: number } {
    const lower = i === 0 ? 0 : FIRST_EDGE_MS * RATIO ** (i - 1);
    const upper = i === BINS - 1 ? Infinity : FIRST_EDGE_MS * RATIO ** i;
    return { lower, upper };
}

export function addLatencies(h: LatencyHistogram, latenciesMs: readonly number[]): LatencyHistogram {
    if (latenciesMs.length === 0) return h;
    const counts = h.counts.slice();
    for (const ms of latenciesMs) counts[binIndex(ms)]++;
    return { counts, total: h.total + latenciesMs.length };
}

/** The bin holding the k-th smallest latency (1-based, 1 ≤ k ≤ total). */
export function orderStatisticBin(h: LatencyHistogram, k: number): number {
    if (!(k >= 1 && k <= h.total)) throw new Error(`order statistic ${k} outside 1..${h.total}`);
    let seen = 0;
    for (let i = 0; i < h.counts.length; i++) {
        seen += h.counts[i];
        if (seen >= k) return i;
    }
    return h.counts.length - 1; // unreachable: the counts sum to total
}

/** The sample q-quantile (the ⌈qn⌉-th smallest), as its bin's geometric middle; undefined when empty. */
export function quantileEstimate(h: LatencyHistogram, q: number): number | undefined {
    if (h.total === 0) return undefined;
    const { lower, upper } = binEdges(orderStatisticBin(h, Math.max(1, Math.ceil(q * h.total))));
    if (lower === 0) return upper / 2;
    return upper === Infinity ? lower : Math.sqrt(lower * upper);
}

/**
 * ln E against H0: p ≥ q, from `count` successes in n Bernoulli(p) draws, mixing the alternative
 * uniformly over [0, q): E = P(Bin(n+1, q) ≥ count+1) / (q (n+1) P(Bin(n, q) = count)).
 * Decreasing in count; at most 1 for count ≥ nq.
 */
export function logEBelow(count: number, n: number, q: number): number {
    return Math.log(binomSf(count + 1, n + 1, q)) - Math.log(q * (n + 1)) - Math.log(binomPmf(count, n, q));
}

/**
 * ln E against H0: p ≤ q, mixing uniformly over (q, 1]:
 * E = P(Bin(n+1, q) ≤ count) / ((1 - q) (n+1) P(Bin(n, q) = count)). Increasing in count.
 */
export function logEAbove(count: number, n: number, q: number): number {
    return Math.log(binomCdf(count, n + 1, q)) - Math.log((1 - q) * (n + 1)) - Math.log(binomPmf(count, n, q));
}

/**
 * The largest count c with E_below(c) ≥ 1/α, or -1 if none: with at most c latencies below a
 * value x, "the q-quantile is below x" is rejected. Searched over c ≤ nq only, where E may be
 * large (above nq it is at most 1) and no tail underflows.
 */
export function lowerRejectCount(n: number, q: number, alpha: number): number {
    return memo("lower", n, q, alpha, () => {
        const threshold = Math.log(1 / alpha);
        let lo = -1; // stands for "no count": nothing is rejected
        let hi = Math.floor(n * q);
        while (lo < hi) {
            const mid = Math.ceil((lo + hi) / 2);
            if (logEBelow(mid, n, q) >= threshold) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    });
}

/** The smallest count d with E_above(d) ≥ 1/α, or n + 1 if none (searched over d ≥ nq). */
export function upperRejectCount(n: number, q: number, alpha: number): number {
    return memo("upper", n, q, alpha, () => {
        const threshold = Math.log(1 / alpha);
        let lo = Math.ceil(n * q);
        let hi = n + 1; // stands for "none"
        while (lo < hi) {
            const mid = Math.floor((lo + hi) / 2);
            if (logEAbove(mid, n, q) >= threshold) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    });
}

/**
 * The reject counts depend on (n, q, α) only, and a stage asks for the same few (q, α) after
 * every request: each is computed once (binary searches over binomial tails are the judge's
 * dearest step). The cache holds plain numbers; it changes no result.
 */
const rejectCounts = { lower: new Map<number, Map<number, number[]>>(), upper: new Map<number, Map<number, number[]>>() };

function memo(side: "lower" | "upper", n: number, q: number, alpha: number, compute: () => number): number {
    const byAlpha = rejectCounts[side];
    let byQ = byAlpha.get(alpha);
    if (byQ === undefined) byAlpha.set(alpha, (byQ = new Map()));
    let byN = byQ.get(q);
    if (byN === undefined) byQ.set(q, (byN = []));
    return (byN[n] ??= compute());
}

/** A confidence interval for a latency quantile, in ms (0 and Infinity when a side has no bound yet). */
export interface LatencyInterval {
    readonly lower: number;
    readonly upper: number;
}

/**
 * Time-uniform lower confidence bound for the q-quantile, with error probability α: at most c
 * latencies lie strictly below the (c+1)-th smallest, so the quantile is at least it. 0 while
 * there is no bound yet.
 */
export function quantileLowerBound(h: LatencyHistogram, q: number, alpha: number): number {
    if (h.total === 0) return 0;
    const c = lowerRejectCount(h.total, q, alpha);
    return c >= 0 ? binEdges(orderStatisticBin(h, c + 1)).lower : 0;
}

/** Time-uniform upper confidence bound (error α): at least d latencies lie at or below the d-th smallest. */
export function quantileUpperBound(h: LatencyHistogram, q: number, alpha: number): number {
    if (h.total === 0) return Infinity;
    const d = upperRejectCount(h.total, q, alpha);
    return d <= h.total ? binEdges(orderStatisticBin(h, d)).upper : Infinity;
}

/** The two-sided confidence sequence at level 1 - α (α/2 per side). */
export function quantileBounds(h: LatencyHistogram, q: number, alpha: number): LatencyInterval {
    return { lower: quantileLowerBound(h, q, alpha / 2), upper: quantileUpperBound(h, q, alpha / 2) };
}
