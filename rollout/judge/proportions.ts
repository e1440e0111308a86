/**
 * Anytime-valid evidence about error rates, from counts alone (errors are rare: counted, never
 * ranked). Pure functions over (errors, requests) pairs.
 *
 * Every e-value here has the same form, a mixture likelihood ratio against a composite null
 * (Wasserman, Ramdas & Balakrishnan's "universal inference", with a conjugate mixture in the
 * numerator as in Lindon & Malek's count tests):
 *
 *     E_n = M_n / sup_{θ ∈ H0} L_n(θ),    M_n = ∫ L_n(θ) π(dθ)  (a beta-binomial marginal)
 *
 * For every θ0 in H0, M_n / L_n(θ0) is a nonnegative martingale with mean 1 under θ0 (the
 * mixture is a product of one-step-ahead predictive probabilities); E_n is never larger, so by
 * Ville's inequality P(E_n ≥ 1/α for some n) ≤ α, however often it is looked at and whenever the
 * sampling stops. The prior π only moves power, never validity.
 *
 * The mixture depends on the counts only (not their order), so simulations may add a batch of
 * requests as binomial draws and check between batches; the live judge checks after every request.
 */
import betaln from "@stdlib/math-base-special-betaln";
import { Interval } from "../../verifier/stats";

/** Requests and errors of one arm (errors ≤ requests). */
export interface Counts {
    readonly requests: number;
    readonly errors: number;
}

/** A Beta(a, b) distribution, one component of a mixing prior (make one with `betaComponent`). */
export interface BetaComponent {
    readonly weight: number;
    readonly a: number;
    readonly b: number;
    /** ln w - ln B(a, b), computed once: the judge evaluates mixtures after every request. */
    readonly logScale: number;
}

export function betaComponent(weight: number, a: number, b: number): BetaComponent {
    if (!(weight > 0 && a > 0 && b > 0)) throw new Error(`a Beta component needs a positive weight, a and b, got ${weight}, ${a}, ${b}`);
    return { weight, a, b, logScale: Math.log(weight) - betaln(a, b) };
}

/** A mixing prior on an error rate: a weighted sum of Beta distributions (weights summing to 1). */
export type RatePrior = readonly BetaComponent[];

/**
 * The rate a healthy web service's errors run at, which the priors are built around (the tests
 * and the benchmark simulate 0 to 0.5%). Only power depends on it, never validity.
 */
export const TYPICAL_ERROR_RATE = 0.005;

/**
 * The default mixing prior: 0.9 Beta(1/2, 100) + 0.1 Beta(1/2, 1/2). The first part has mean
 * 0.5% and 95% of its mass below 2%, where healthy services' error rates are; its 1/2 keeps the
 * regret finite at a rate of exactly 0, which a healthy revision often shows. The Jeffreys tenth
 * keeps any rate within reach (a stable failing 20% of requests costs ln 10 nats, not dozens).
 * Used for the stable, for the candidate on pass sides, and for the confidence sequences shown in
 * reports.
 */
export const RATE_PRIOR: RatePrior = [betaComponent(0.9, 0.5, 100), betaComponent(0.1, 0.5, 0.5)];

/**
 * The prior for a fail side whose design alternative is the rate `center` (the rate a candidate
 * worse by the detectable effect would have): half RATE_PRIOR, half a Beta concentrated at
 * `center` (as if 300 requests had been seen there, standard deviation ≈ 0.9 points at 2.5%).
 * The concentrated half makes the rate the test is sized for cheaper to detect (about 15% fewer
 * requests than a wide prior alone, in simulation); the wide half keeps a far worse candidate quick.
 */
export function alternativePrior(center: number): RatePrior {
    const known = alternativePriors.get(center);
    if (known !== undefined) return known;
    const c = Math.min(0.99, Math.max(0.001, center));
    const prior = [...RATE_PRIOR.map((x) => betaComponent(x.weight / 2, x.a, x.b)), betaComponent(0.5, 300 * c, 300 * (1 - c))];
    alternativePriors.set(center, prior);
    return prior;
}

/** The priors made so far, by center: a plan has a handful, and the judge asks after every request. */
const alternativePriors = new Map<number, RatePrior>();

/** k ln p + (n - k) ln(1 - p), with 0 · ln 0 = 0 (so p = 0 with no errors has likelihood 1). */
export function logLikelihood(c: Counts, p: number): number {
    const ok = c.requests - c.errors;
    const hits = c.errors === 0 ? 0 : c.errors * Math.log(p);
    const misses = ok === 0 ? 0 : ok * Math.log1p(-p);
    return hits + misses;
}

/**
 * ln of the mixture likelihood of the sequence: ln Σ_j w_j B(a_j + k, b_j + n - k) / B(a_j, b_j)
 * (beta-binomial marginals; summed in log space, since each term may be far below 1e-308).
 */
export function logMixture(c: Counts, prior: RatePrior = RATE_PRIOR): number {
    if (c.requests === 0) return 0;
    if (prior.length === 1) return prior[0].logScale + betaln(prior[0].a + c.errors, prior[0].b + c.requests - c.errors);
    const terms = prior.map((x) => x.logScale + betaln(x.a + c.errors, x.b + c.requests - c.errors));
    const top = Math.max(...terms);
    return top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
}

/** The maximum-likelihood rate, or undefined with no requests. */
export function rate(c: Counts): number | undefined {
    return c.requests === 0 ? undefined : c.errors / c.requests;
}

/** The closest point of [lo, hi] to x. */
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * One arm against a bound. "atMost": sup of the likelihood over p ≤ bound; "atLeast": over
 * p ≥ bound. The likelihood is unimodal, so the sup is at the MLE clamped into the null.
 */
export function supLogLikelihoodOneArm(c: Counts, bound: number, side: "atMost" | "atLeast"): number {
    const mle = rate(c) ?? bound;
    const p = side === "atMost" ? Math.min(mle, bound) : Math.max(mle, bound);
    return logLikelihood(c, clamp(p, 0, 1));
}

/**
 * Two arms, candidate c and stable s, against a bound on the difference of their rates:
 * "atMost" is H0: p_c - p_s ≤ d, "atLeast" is H0: p_c - p_s ≥ d. Returns the sup of the joint
 * log-likelihood over H0.
 *
 * If the unconstrained MLE is in H0 that is the sup. Otherwise (the log-likelihood is concave) the
 * sup is on the line p_c = p_s + d: a one-dimensional concave maximisation, solved by Newton's
 * method on its derivative (which is decreasing), safeguarded by bisection.
 */
export function supLogLikelihoodDifference(c: Counts, s: Counts, d: number, side: "atMost" | "atLeast"): number {
    const pc = rate(c);
    const ps = rate(s);
    if (pc !== undefined && ps !== undefined) {
        const inNull = side === "atMost" ? pc - ps <= d : pc - ps >= d;
        if (inNull) return logLikelihood(c, pc) + logLikelihood(s, ps);
    }
    // On the line p_c = p + d, p = p_s ∈ [max(0, -d), min(1, 1 - d)].
    const lo = Math.max(0, -d);
    const hi = Math.min(1, 1 - d);
    if (hi < lo) return -Infinity; // |d| > 1: the null is empty
    const g = (p: number) => logLikelihood(c, clamp(p + d, 0, 1)) + logLikelihood(s, clamp(p, 0, 1));
    const kc = c.errors;
    const oc = c.requests - c.errors;
    const ks = s.errors;
    const os = s.requests - s.errors;
    // g'(p); each term only where its count is positive (a zero count contributes nothing).
    const slope = (p: number) =>
        (kc > 0 ? kc / (p + d) : 0) - (oc > 0 ? oc / (1 - p - d) : 0) + (ks > 0 ? ks / p : 0) - (os > 0 ? os / (1 - p) : 0);
    const curvature = (p: number) =>
        -(kc > 0 ? kc / (p + d) ** 2 : 0) - (oc > 0 ? oc / (1 - p - d) ** 2 : 0) - (ks > 0 ? ks / p ** 2 : 0) - (os > 0 ? os / (1 - p) ** 2 : 0);
    // Newton's method on g', kept inside a shrinking bracket (bisection when a step leaves it).
    let a = lo;
    let b = hi;
    const pooled = (kc + ks - d * c.requests) / Math.max(1, c.requests + s.requests);
    let x = clamp(pooled, lo + (hi - lo) * 1e-9, hi - (hi - lo) * 1e-9);
    for (let i = 0; i < 100; i++) {
        const slopeX = slope(x);
        if (slopeX === 0) break;
        if (slopeX > 0) a = x;
        else b = x;
        if (b - a < 1e-13) break;
        const next = x - slopeX / curvature(x);
        if (Math.abs(next - x) < 1e-15) break; // converged (Newton may approach from one side only)
        x = next > a && next < b ? next : (a + b) / 2;
    }
    return Math.max(g(lo), g(hi), g(x));
}

/** ln E for H0: p ≤ bound ("atMost": evidence the rate is above) or p ≥ bound ("atLeast"). */
export function logEOneArm(c: Counts, bound: number, side: "atMost" | "atLeast", prior: RatePrior = RATE_PRIOR): number {
    return logMixture(c, prior) - supLogLikelihoodOneArm(c, bound, side);
}

/**
 * ln E for H0: p_c - p_s ≤ d ("atMost": evidence the candidate is more than d worse) or
 * H0: p_c - p_s ≥ d ("atLeast": evidence it is less than d worse).
 */
export function logEDifference(
    c: Counts,
    s: Counts,
    d: number,
    side: "atMost" | "atLeast",
    prior: RatePrior = RATE_PRIOR,
): number {
    return logMixture(c, prior) + logMixture(s, prior) - supLogLikelihoodDifference(c, s, d, side);
}

/**
 * The time-uniform confidence sequence for one rate at level 1 - α, at the counts given:
 * { p : M_n / L_n(p) < 1/α }, the set where the prior-to-posterior ratio (Waudby-Smith & Ramdas)
 * stays below 1/α. It covers the true rate at every n at once with probability ≥ 1 - α.
 */
export function rateConfidenceSequence(c: Counts, alpha: number, prior: RatePrior = RATE_PRIOR): Interval {
    if (c.requests === 0) return { lower: 0, upper: 1 };
    const limit = logMixture(c, prior) + Math.log(alpha); // inside ⇔ ln L(p) > ln M + ln α
    const mle = c.errors / c.requests;
    const inside = (p: number) => logLikelihood(c, p) > limit;
    // ln L is concave with its top at the MLE, which is always inside (M ≤ max L and α < 1).
    // Each edge is returned as the first point found outside, so rounding widens, never narrows.
    const edge = (outer: number) => {
        if (inside(outer)) return outer;
        let a = mle; // inside
        let b = outer; // outside
        for (let i = 0; i < 100 && Math.abs(b - a) > 1e-12; i++) {
            const m = (a + b) / 2;
            if (inside(m)) a = m;
            else b = m;
        }
        return b;
    };
    return { lower: edge(0), upper: edge(1) };
}
