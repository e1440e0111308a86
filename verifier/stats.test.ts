/** The verifier's statistics against known values (R's binom.test / pbinom, hand-computed SPRT steps). */
import { expect } from "chai";
import {
    binomCdf,
    binomSf,
    clopperPearson,
    criticalValues,
    exactSampleSize,
    exactTestPower,
    exactTestPValue,
    waldBoundaries,
    zeroCheckSampleSize,
} from "./stats";

const close = (actual: number, want: number, rel = 1e-6) => expect(Math.abs(actual - want)).to.be.at.most(rel * Math.max(1e-300, Math.abs(want)));

describe("verifier statistics", () => {
    it("binomial tails match known values", () => {
        close(binomCdf(3, 20, 0.2), 0.4114488, 1e-6); // pbinom(3, 20, 0.2)
        close(binomCdf(5, 10, 0.4), 0.8337614, 1e-6); // pbinom(5, 10, 0.4)
        close(binomSf(8, 10, 0.5), 56 / 1024, 1e-12); // P(X >= 8) = (45 + 10 + 1) / 2^10
        close(binomSf(600, 600, 0.5), 2 ** -600, 1e-9); // a tail 1 - cdf would round to 0
        expect(binomCdf(-1, 10, 0.5)).to.equal(0);
        expect(binomCdf(10, 10, 0.5)).to.equal(1);
    });

    it("the exact two-sided test's p-value matches binom.test", () => {
        close(exactTestPValue(8, 10, 0.5), 0.109375, 1e-9); // binom.test(8, 10)$p.value
        close(exactTestPValue(2, 20, 0.5), 422 / 1048576, 1e-9); // 2 * (1 + 20 + 190) / 2^20
        expect(exactTestPValue(5, 10, 0.5)).to.equal(1);
        expect(exactTestPValue(0, 10, 0)).to.equal(1);
        expect(exactTestPValue(1, 10, 0)).to.equal(0);
    });

    it("reproduces the reference figure: about 210 requests tell 50/50 from 60/40 at α = 0.05 with 80% power", () => {
        const size = exactSampleSize(0.5, 0.1, 0.05, 0.8);
        expect(size.n).to.equal(210);
        expect(size.first).to.equal(199);
        expect(exactTestPower(210, 0.5, 0.6, 0.05)).to.be.at.least(0.8);
        expect(exactTestPower(209, 0.5, 0.6, 0.05)).to.be.below(0.8); // the sawtooth the size steps over
        expect(criticalValues(210, 0.5, 0.05)).to.deep.equal({ lower: 90, upper: 120 });
    });

    it("sizes the default test (α = 0.001, power 0.95, δ = 10 points)", () => {
        expect(exactSampleSize(0.5, 0.1, 0.001, 0.95).n).to.equal(615);
        expect(exactSampleSize(0.1, 0.1, 0.001, 0.95).n).to.equal(304);
    });

    it("Clopper-Pearson intervals match binom.test's", () => {
        const ci = clopperPearson(5, 20, 0.05); // binom.test(5, 20)$conf.int
        close(ci.lower, 0.08657147, 1e-6);
        close(ci.upper, 0.49104587, 1e-6);
        const zero = clopperPearson(0, 10, 0.05);
        expect(zero.lower).to.equal(0);
        close(zero.upper, 1 - 0.025 ** (1 / 10), 1e-9);
        expect(clopperPearson(10, 10, 0.05).upper).to.equal(1);
        expect(clopperPearson(0, 0, 0.05)).to.deep.equal({ lower: 0, upper: 1 });
    });

    it("Wald's SPRT boundaries are A = (1-β)/α and B = β/(1-α)", () => {
        const w = waldBoundaries(0.05, 0.2);
        close(w.A, 16, 1e-12);
        close(w.B, 0.2 / 0.95, 1e-12);
        close(w.logA, Math.log(16), 1e-12);
        close(waldBoundaries(0.0005, 0.05).A, 1900, 1e-12);
    });

    it("a 0%/100% check needs 29 right answers to see a 10-point deviation with 95% probability", () => {
        expect(zeroCheckSampleSize(0.1, 0.95)).to.equal(29); // 0.9^29 = 0.047 ≤ 0.05 < 0.9^28
        expect(0.9 ** 29).to.be.at.most(0.05);
        expect(0.9 ** 28).to.be.above(0.05);
    });
});
