import { expect } from "chai";
import {
    addLatencies,
    binEdges,
    binIndex,
    EMPTY_HISTOGRAM,
    logEAbove,
    logEBelow,
    lowerRejectCount,
    orderStatisticBin,
    quantileBounds,
    quantileEstimate,
    quantileLowerBound,
    quantileUpperBound,
    upperRejectCount,
} from "./quantiles";
import { latencyModel, seededUniform } from "./simulate";

describe("quantiles: the latency histogram", () => {
    it("bins: [0, 0.1 ms), then 2% wide; every latency lies within its bin's edges", () => {
        expect(binIndex(0)).to.equal(0);
        expect(binIndex(0.05)).to.equal(0);
        expect(binIndex(-3)).to.equal(0);
        expect(binIndex(NaN)).to.equal(0);
        expect(binIndex(0.1)).to.equal(1);
        expect(binEdges(0)).to.deep.equal({ lower: 0, upper: 0.1 });
        expect(binEdges(1).lower).to.equal(0.1);
        expect(binEdges(1).upper).to.be.closeTo(0.102, 1e-12);
        for (const ms of [0.1, 0.5, 1, 7.3, 10, 12.5, 99.99, 250, 5000, 59_999, 600_000]) {
            const { lower, upper } = binEdges(binIndex(ms));
            expect(ms, String(ms)).to.be.at.least(lower);
            expect(ms, String(ms)).to.be.below(upper);
            expect(upper / lower, String(ms)).to.be.closeTo(1.02, 1e-9);
        }
        expect(binEdges(binIndex(1e9)).upper).to.equal(Infinity); // beyond 10 minutes: the open last bin
    });

    it("addLatencies returns a new histogram and leaves the old one as it was", () => {
        const a = addLatencies(EMPTY_HISTOGRAM, [5, 5, 10]);
        const b = addLatencies(a, [20]);
        expect(EMPTY_HISTOGRAM.total).to.equal(0);
        expect(EMPTY_HISTOGRAM.counts.every((x) => x === 0)).to.equal(true);
        expect(a.total).to.equal(3);
        expect(b.total).to.equal(4);
        expect(a.counts[binIndex(20)]).to.equal(0);
        expect(b.counts[binIndex(5)]).to.equal(2);
        expect(addLatencies(a, [])).to.equal(a);
    });

    it("order statistics and the sample quantile, to the bin", () => {
        const h = addLatencies(EMPTY_HISTOGRAM, [30, 10, 20, 40, 50]);
        expect(orderStatisticBin(h, 1)).to.equal(binIndex(10));
        expect(orderStatisticBin(h, 3)).to.equal(binIndex(30));
        expect(orderStatisticBin(h, 5)).to.equal(binIndex(50));
        expect(() => orderStatisticBin(h, 0)).to.throw(/outside/);
        expect(() => orderStatisticBin(h, 6)).to.throw(/outside/);
        expect(quantileEstimate(h, 0.5)).to.be.closeTo(30, 0.3);
        expect(quantileEstimate(h, 0.95)).to.be.closeTo(50, 0.5);
        expect(quantileEstimate(EMPTY_HISTOGRAM, 0.5)).to.equal(undefined);
    });
});

describe("quantiles: one-sided e-values on counts (exact values from Python fractions)", () => {
    it("logEBelow and logEAbove, q = 0.5", () => {
        const below: [number, number, number][] = [
            [0, 10, 5.226235312862919],
            [2, 10, 1.3867992841298606],
            [5, 10, -0.9958525547103407],
            [0, 20, 11.511567877198157],
            [3, 20, 4.472039715489817],
        ];
        for (const [c, n, want] of below) expect(logEBelow(c, n, 0.5), `${c}/${n}`).to.be.closeTo(want, 1e-9);
        // By symmetry at q = 1/2, E_above(n - c) = E_below(c).
        for (const [c, n, want] of below) expect(logEAbove(n - c, n, 0.5), `${n - c}/${n}`).to.be.closeTo(want, 1e-9);
    });

    it("logEAbove, q = 0.95", () => {
        expect(Math.exp(logEAbove(100, 100, 0.95))).to.be.closeTo(33.258182120153755, 1e-7);
        expect(Math.exp(logEAbove(98, 100, 0.95))).to.be.closeTo(2.160647221287981, 1e-9);
    });

    it("reject counts: table (exact search in Python)", () => {
        const table: [number, number, number, number, number][] = [
            // n, q, α, lower, upper
            [10, 0.5, 0.05, 0, 10],
            [20, 0.5, 0.05, 4, 16],
            [50, 0.5, 0.01, 13, 37],
            [100, 0.5, 0.025, 34, 66],
            [5, 0.5, 0.05, -1, 6], // too few for either bound
            [100, 0.95, 0.05, 86, 100],
        ];
        for (const [n, q, alpha, lower, upper] of table) {
            expect(lowerRejectCount(n, q, alpha), `lower ${n} ${q} ${alpha}`).to.equal(lower);
            expect(upperRejectCount(n, q, alpha), `upper ${n} ${q} ${alpha}`).to.equal(upper);
        }
    });
});

describe("quantiles: confidence sequences for a latency quantile", () => {
    it("has no bound without data, and bounds from order statistics rounded outwards", () => {
        expect(quantileBounds(EMPTY_HISTOGRAM, 0.5, 0.05)).to.deep.equal({ lower: 0, upper: Infinity });
        // 20 latencies 1..20 ms; at α/2 = 0.025 per side the ranks are those of (20, 0.5, 0.025).
        const h = addLatencies(
            EMPTY_HISTOGRAM,
            Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const lo = lowerRejectCount(20, 0.5, 0.025);
        const hi = upperRejectCount(20, 0.5, 0.025);
        const b = quantileBounds(h, 0.5, 0.05);
        expect(b.lower).to.equal(binEdges(binIndex(lo + 1)).lower);
        expect(b.upper).to.equal(binEdges(binIndex(hi)).upper);
        expect(b.lower).to.be.at.most(lo + 1);
        expect(b.upper).to.be.at.least(hi);
        expect(quantileLowerBound(h, 0.5, 0.025)).to.equal(b.lower);
        expect(quantileUpperBound(h, 0.5, 0.025)).to.equal(b.upper);
    });

    it("covers the true median at every check in at least 1 - α of runs", () => {
        // The latency model's median, estimated once from 200,000 draws.
        const rand = seededUniform(3);
        const draw = latencyModel();
        const big = Array.from({ length: 200_000 }, () => draw(rand)).sort((a, b) => a - b);
        const median = big[100_000];
        const alpha = 0.1;
        let missed = 0;
        const runs = 500;
        for (let r = 0; r < runs; r++) {
            let h = EMPTY_HISTOGRAM;
            for (let n = 0; n < 400; n += 10) {
                h = addLatencies(
                    h,
                    Array.from({ length: 10 }, () => draw(rand)),
                );
                const b = quantileBounds(h, 0.5, alpha);
                if (b.lower > median || b.upper < median) {
                    missed++;
                    break;
                }
            }
        }
        expect(missed / runs).to.be.at.most(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
    });
});
