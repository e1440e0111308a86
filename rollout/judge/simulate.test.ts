import { expect } from "chai";
import { planHealth } from "./plan";
import { DEFAULT_HEALTH_SETTINGS } from "./settings";
import {
    badScenario,
    binomialDraw,
    candidateShare,
    healthyScenario,
    latencyModel,
    normalDraw,
    seededUniform,
    simulateRollout,
    simulateStage,
} from "./simulate";

/** Allowance for sampling error: three standard errors of a rate p estimated from n runs. */
const margin = (p: number, n: number) => 3 * Math.sqrt((p * (1 - p)) / n);

describe("simulate: generators", () => {
    it("seededUniform: the same seed gives the same stream, in [0, 1)", () => {
        const a = seededUniform(42);
        const b = seededUniform(42);
        const xs = Array.from({ length: 1000 }, () => a());
        expect(xs).to.deep.equal(Array.from({ length: 1000 }, () => b()));
        expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
        expect(seededUniform(43)()).to.not.equal(seededUniform(42)());
        const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
        expect(mean).to.be.closeTo(0.5, 0.03);
    });

    it("binomialDraw: edge cases, and mean and variance of Binomial(n, p)", () => {
        const rand = seededUniform(5);
        expect(binomialDraw(0, 0.3, rand)).to.equal(0);
        expect(binomialDraw(10, 0, rand)).to.equal(0);
        expect(binomialDraw(10, 1, rand)).to.equal(10);
        expect(() => binomialDraw(1001, 0.5, rand)).to.throw(/0\.\.1000/);
        for (const [n, p] of [
            [100, 0.1],
            [1000, 0.5],
            [200, 0.005],
            [50, 0.9],
        ]) {
            const draws = Array.from({ length: 20_000 }, () => binomialDraw(n, p, rand));
            const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
            const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
            expect(mean, `mean ${n} ${p}`).to.be.closeTo(n * p, 4 * Math.sqrt((n * p * (1 - p)) / draws.length) + 1e-9);
            expect(variance, `variance ${n} ${p}`).to.be.closeTo(n * p * (1 - p), 0.05 * n * p * (1 - p) + 1e-9);
        }
    });

    it("the latency model: about 10 ms at the median, 20 ms at p95, a heavy-ish tail; +50 ms shifts it", () => {
        const rand = seededUniform(9);
        const draw = latencyModel();
        const xs = Array.from({ length: 50_000 }, () => draw(rand)).sort((a, b) => a - b);
        const q = (p: number) => xs[Math.floor(p * xs.length)];
        expect(q(0.5)).to.be.within(9, 11);
        expect(q(0.95)).to.be.within(17, 24);
        expect(q(0.999)).to.be.above(200);
        const slow = latencyModel(50);
        const ys = Array.from({ length: 50_000 }, () => slow(rand)).sort((a, b) => a - b);
        expect(ys[25_000] - q(0.5)).to.be.within(48, 52);
        expect(Math.abs(normalDraw(rand))).to.be.below(10);
    });

    it("the candidate's share: the step's percent, and all of it in the dark launch", () => {
        const plan = planHealth([10, 100], DEFAULT_HEALTH_SETTINGS);
        expect(candidateShare(plan.darkLaunch)).to.equal(1);
        expect(plan.stepPlans.map(candidateShare)).to.deep.equal([0.1, 1]);
    });
});

describe("simulate: the rollout's guarantees at the default settings", () => {
    const plan = planHealth([10, 25, 50, 100], DEFAULT_HEALTH_SETTINGS);

    it("10,000 healthy rollouts (error rate 0 to 0.5% for both): false aborts at most α = 0.05", function () {
        this.timeout(30_000);
        // Checked every 25 candidate requests to stay fast: the live judge checks after every
        // request, which the guarantee covers too (the benchmark measures it at every 10).
        const rand = seededUniform(20240601);
        const runs = 10_000;
        let aborted = 0;
        let inconclusive = 0;
        for (let i = 0; i < runs; i++) {
            const run = simulateRollout(plan, healthyScenario(0.005 * rand()), rand, 25);
            if (run.outcome === "aborted") aborted++;
            if (run.outcome === "inconclusive") inconclusive++;
        }
        const alpha = DEFAULT_HEALTH_SETTINGS.alpha;
        console.log(`      (aborted ${aborted}, inconclusive ${inconclusive} of ${runs})`);
        expect(aborted / runs).to.be.at.most(alpha + margin(alpha, runs));
        // Healthy candidates are decided well inside the budget.
        expect(inconclusive / runs).to.be.at.most(0.001);
    });

    it("the least favourable healthy candidate (exactly 1 point worse) is aborted at the first step at most α_step of the time", function () {
        this.timeout(30_000);
        // With α raised to 0.45 for the rollout, so that the rate is large enough to check.
        const loose = planHealth([10, 25, 50, 100], { ...DEFAULT_HEALTH_SETTINGS, alpha: 0.45 });
        const stage = loose.stepPlans[0];
        const errorAlpha = stage.tests[0].alpha; // 0.45 · 10/18 · 3/4 ≈ 0.19
        const rand = seededUniform(77);
        const runs = 400;
        let failed = 0;
        for (let i = 0; i < runs; i++) {
            const base = 0.005 * rand();
            const run = simulateStage(stage, badScenario(base, 0.01, 0, 0), rand);
            if (run.outcome === "fail") failed++;
        }
        console.log(`      (aborted ${failed} of ${runs}; α for the step's error test ${errorAlpha.toFixed(3)})`);
        expect(failed / runs).to.be.at.most(errorAlpha + margin(errorAlpha, runs));
    });

    it("a candidate 2 points worse in error rate is caught at the first step (10%) at least 95% of the time", function () {
        this.timeout(30_000);
        const rand = seededUniform(7);
        const runs = 400;
        let caught = 0;
        for (let i = 0; i < runs; i++) {
            const run = simulateStage(plan.stepPlans[0], badScenario(0.005 * rand(), 0.02, 0), rand);
            if (run.outcome === "fail") caught++;
        }
        console.log(`      (caught ${caught} of ${runs})`);
        expect(caught / runs).to.be.at.least(0.95);
    });

    it("a candidate 50 ms slower at the median is caught at the first step (10%) at least 95% of the time", () => {
        const rand = seededUniform(8);
        const runs = 2000;
        let caught = 0;
        for (let i = 0; i < runs; i++) {
            const run = simulateStage(plan.stepPlans[0], badScenario(0.005 * rand(), 0, 50), rand);
            if (run.outcome === "fail") caught++;
        }
        expect(caught / runs).to.be.at.least(0.95);
    });
});
