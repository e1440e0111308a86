import { expect } from "chai";
import {
    alternativePrior,
    betaComponent,
    Counts,
    logEDifference,
    logEOneArm,
    logLikelihood,
    logMixture,
    RATE_PRIOR,
    rate,
    rateConfidenceSequence,
    supLogLikelihoodDifference,
    supLogLikelihoodOneArm,
} from "./proportions";
import { binomialDraw, seededUniform } from "./simulate";

const counts = (errors: number, requests: number): Counts => ({ errors, requests });

/** Brute force: the sup of the joint log-likelihood over the null, on a grid of p_s then refined. */
function bruteSup(c: Counts, s: Counts, d: number, side: "atMost" | "atLeast"): number {
    const inNull = (pc: number, ps: number) => (side === "atMost" ? pc - ps <= d + 1e-12 : pc - ps >= d - 1e-12);
    let best = -Infinity;
    const grid = 400;
    for (let i = 0; i <= grid; i++) {
        for (let j = 0; j <= grid; j++) {
            const pc = i / grid;
            const ps = j / grid;
            if (inNull(pc, ps)) best = Math.max(best, logLikelihood(c, pc) + logLikelihood(s, ps));
        }
    }
    // The boundary line, finely (the sup is there when the MLE is outside the null).
    for (let j = 0; j <= 200000; j++) {
        const ps = j / 200000;
        const pc = ps + d;
        if (pc >= 0 && pc <= 1) best = Math.max(best, logLikelihood(c, pc) + logLikelihood(s, ps));
    }
    const pc = rate(c);
    const ps = rate(s);
    if (pc !== undefined && ps !== undefined && inNull(pc, ps)) best = Math.max(best, logLikelihood(c, pc) + logLikelihood(s, ps));
    return best;
}

describe("proportions: log-likelihood and mixtures", () => {
    it("logLikelihood: k ln p + (n-k) ln(1-p), with 0 · ln 0 = 0", () => {
        const table: [Counts, number, number][] = [
            [counts(0, 0), 0.3, 0],
            [counts(0, 10), 0, 0], // no errors at rate 0: likelihood 1
            [counts(10, 10), 1, 0], // all errors at rate 1
            [counts(1, 10), 0, -Infinity],
            [counts(2, 10), 0.2, 2 * Math.log(0.2) + 8 * Math.log(0.8)],
            [counts(3, 1000), 0.005, 3 * Math.log(0.005) + 997 * Math.log(0.995)],
        ];
        for (const [c, p, want] of table) {
            const got = logLikelihood(c, p);
            if (want === -Infinity) expect(got).to.equal(-Infinity);
            else expect(got).to.be.closeTo(want, 1e-9);
        }
    });

    it("logMixture: the beta-binomial marginal (values from lgamma in Python)", () => {
        const prior = [betaComponent(1, 0.5, 100)];
        const table: [Counts, number][] = [
            [counts(0, 0), 0],
            [counts(0, 10), -0.04776872497063778],
            [counts(3, 100), -15.583365510457554],
            [counts(5, 5), -19.763388983975744],
        ];
        for (const [c, want] of table) expect(logMixture(c, prior)).to.be.closeTo(want, 1e-9);
        // Uniform prior: M = 1 / ((n+1) C(n, k)); n = 50, k = 2: 1 / (51 · 1225).
        expect(logMixture(counts(2, 50), [betaComponent(1, 1, 1)])).to.be.closeTo(-Math.log(51 * 1225), 1e-9);
    });

    it("logMixture of a two-component prior is the weighted sum of the components' marginals", () => {
        const c = counts(7, 300);
        const a = [betaComponent(1, 0.5, 100)];
        const b = [betaComponent(1, 7.5, 292.5)];
        const mixed = [betaComponent(0.25, 0.5, 100), betaComponent(0.75, 7.5, 292.5)];
        const want = Math.log(0.25 * Math.exp(logMixture(c, a)) + 0.75 * Math.exp(logMixture(c, b)));
        expect(logMixture(c, mixed)).to.be.closeTo(want, 1e-9);
    });

    it("RATE_PRIOR and alternativePrior: the documented components; the same object for the same rate", () => {
        expect(RATE_PRIOR.map((x) => [x.weight, x.a, x.b])).to.deep.equal([
            [0.9, 0.5, 100],
            [0.1, 0.5, 0.5],
        ]);
        const p = alternativePrior(0.025);
        expect(p.map((x) => [x.weight, x.a, x.b])).to.deep.equal([
            [0.45, 0.5, 100],
            [0.05, 0.5, 0.5],
            [0.5, 7.5, 292.5],
        ]);
        expect(alternativePrior(0.025)).to.equal(p);
        expect(() => betaComponent(0, 1, 1)).to.throw(/positive/);
    });

    it("rate: the MLE, undefined with no requests", () => {
        expect(rate(counts(0, 0))).to.equal(undefined);
        expect(rate(counts(3, 12))).to.equal(0.25);
    });
});

describe("proportions: sup over a null", () => {
    it("one arm: the MLE clamped into the null", () => {
        const c = counts(5, 100);
        expect(supLogLikelihoodOneArm(c, 0.01, "atMost")).to.be.closeTo(logLikelihood(c, 0.01), 1e-12);
        expect(supLogLikelihoodOneArm(c, 0.1, "atMost")).to.be.closeTo(logLikelihood(c, 0.05), 1e-12);
        expect(supLogLikelihoodOneArm(c, 0.1, "atLeast")).to.be.closeTo(logLikelihood(c, 0.1), 1e-12);
        expect(supLogLikelihoodOneArm(c, 0.01, "atLeast")).to.be.closeTo(logLikelihood(c, 0.05), 1e-12);
        expect(supLogLikelihoodOneArm(counts(0, 0), 0.01, "atMost")).to.equal(0);
    });

    it("two arms: equals a brute-force search, inside and outside the null, at zero and full error counts", () => {
        const table: [Counts, Counts, number, "atMost" | "atLeast"][] = [
            [counts(25, 1000), counts(45, 9000), 0.01, "atMost"], // MLE outside (2.5% vs 0.5%)
            [counts(5, 1000), counts(45, 9000), 0.01, "atMost"], // MLE inside
            [counts(5, 1000), counts(45, 9000), 0.02, "atLeast"], // MLE outside
            [counts(0, 500), counts(0, 4500), 0.02, "atLeast"], // zero errors everywhere
            [counts(0, 500), counts(0, 4500), 0.01, "atMost"],
            [counts(40, 40), counts(0, 360), 0.01, "atMost"], // all candidate requests failed
            [counts(40, 40), counts(360, 360), 0.02, "atLeast"], // all errors everywhere
            [counts(0, 0), counts(3, 300), 0.01, "atMost"], // no candidate requests
            [counts(3, 30), counts(0, 0), 0.02, "atLeast"], // no stable requests
        ];
        for (const [c, s, d, side] of table) {
            const got = supLogLikelihoodDifference(c, s, d, side);
            const want = bruteSup(c, s, d, side);
            expect(got, JSON.stringify([c, s, d, side])).to.be.at.least(want - 1e-6);
            expect(got, JSON.stringify([c, s, d, side])).to.be.at.most(want + 1e-3);
        }
    });
});

describe("proportions: e-values", () => {
    it("one arm: no evidence without data; zero errors pass a 2% bound; all errors fail a 1% bound", () => {
        expect(logEOneArm(counts(0, 0), 0.01, "atMost")).to.equal(0);
        // 0 errors in 200: E against "p ≥ 2%" = M(0, 200) / (0.98^200).
        const e = logEOneArm(counts(0, 200), 0.02, "atLeast");
        expect(e).to.be.closeTo(logMixture(counts(0, 200)) - 200 * Math.log(0.98), 1e-9);
        expect(Math.exp(e)).to.be.above(20);
        expect(Math.exp(logEOneArm(counts(50, 50), 0.01, "atMost"))).to.be.above(1e6);
        // The observed rate inside the null: at most 1.
        expect(logEOneArm(counts(1, 1000), 0.01, "atMost")).to.be.at.most(0);
    });

    it("two arms: evidence of a worse candidate grows with its errors, and never with the stable's", () => {
        const s = counts(45, 9000);
        const e = (k: number) => logEDifference(counts(k, 1000), s, 0.01, "atMost");
        expect(e(5)).to.be.at.most(0);
        expect(e(30)).to.be.below(e(40));
        expect(e(40)).to.be.above(Math.log(50));
        // More stable errors: less evidence against the candidate.
        expect(logEDifference(counts(40, 1000), counts(90, 9000), 0.01, "atMost")).to.be.below(e(40));
    });

    it("is anytime-valid: under the null boundary the e-process crosses 1/α at most α of the time", () => {
        // Candidate exactly 1 point worse than stable (the least favourable healthy case), checked
        // every 50 requests for 5,000 requests, 2,000 runs: at most α = 0.1 plus sampling error.
        const rand = seededUniform(11);
        const alpha = 0.1;
        let crossed = 0;
        const runs = 2000;
        for (let r = 0; r < runs; r++) {
            let c = counts(0, 0);
            let s = counts(0, 0);
            for (let n = 0; n < 5000; n += 50) {
                const nc = binomialDraw(50, 0.25, rand);
                c = counts(c.errors + binomialDraw(nc, 0.015, rand), c.requests + nc);
                s = counts(s.errors + binomialDraw(50 - nc, 0.005, rand), s.requests + 50 - nc);
                if (logEDifference(c, s, 0.01, "atMost", alternativePrior(0.025)) >= Math.log(1 / alpha)) {
                    crossed++;
                    break;
                }
            }
        }
        expect(crossed / runs).to.be.at.most(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
    });
});

describe("proportions: rateConfidenceSequence", () => {
    it("covers the MLE, is [0, 1] with no data, and starts at 0 with no errors and ends at 1 with all errors", () => {
        expect(rateConfidenceSequence(counts(0, 0), 0.05)).to.deep.equal({ lower: 0, upper: 1 });
        const none = rateConfidenceSequence(counts(0, 1000), 0.05);
        expect(none.lower).to.equal(0);
        expect(none.upper).to.be.within(0.001, 0.01);
        const all = rateConfidenceSequence(counts(20, 20), 0.05);
        expect(all.upper).to.equal(1);
        expect(all.lower).to.be.within(0.5, 1);
        const mid = rateConfidenceSequence(counts(50, 1000), 0.05);
        expect(mid.lower).to.be.below(0.05);
        expect(mid.upper).to.be.above(0.05);
    });

    it("is wider than the fixed-n Clopper-Pearson interval at the same level (the price of looking any time)", () => {
        const cs = rateConfidenceSequence(counts(50, 1000), 0.05);
        // Clopper-Pearson 95% for 50/1000: [0.0374, 0.0654].
        expect(cs.lower).to.be.below(0.0374);
        expect(cs.upper).to.be.above(0.0654);
    });
});
