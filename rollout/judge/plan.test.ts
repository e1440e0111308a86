import { expect } from "chai";
import { checkSteps, ERROR_TEST_WEIGHT, planHealth, stageBudget, stageWeights } from "./plan";
import { checkHealthSettings, DEFAULT_HEALTH_SETTINGS, HealthSettings } from "./settings";

describe("plan: α spending over the rollout", () => {
    it("stage weights: 1 for the dark launch, 100/p for a step at p%", () => {
        expect(stageWeights([10, 25, 50, 100])).to.deep.equal({ darkLaunch: 1, steps: [10, 4, 2, 1] });
        expect(stageWeights([50])).to.deep.equal({ darkLaunch: 1, steps: [2] });
    });

    it("steps 10,25,50,100 at α = 0.05: α/18 for the dark launch, then 10, 4, 2 and 1 eighteenths", () => {
        const plan = planHealth([10, 25, 50, 100], DEFAULT_HEALTH_SETTINGS);
        const unit = 0.05 / 18;
        expect(plan.darkLaunch.alpha).to.be.closeTo(unit, 1e-15);
        const table: [number, number, "comparative" | "absolute", number][] = [
            // percent, α, mode, budget
            [10, 10 * unit, "comparative", 88_889],
            [25, 4 * unit, "comparative", 42_667],
            [50, 2 * unit, "comparative", 32_000],
            [100, unit, "absolute", 8_000],
        ];
        table.forEach(([percent, alpha, mode, budget], i) => {
            const s = plan.stepPlans[i];
            expect(s.percent).to.equal(percent);
            expect(s.alpha).to.be.closeTo(alpha, 1e-15);
            expect(s.mode).to.equal(mode);
            expect(s.maxRequests).to.equal(budget);
            expect(s.stepIndex).to.equal(i);
            expect(s.label).to.equal(`step ${i + 1} of 4 (${percent}%)`);
        });
        expect(plan.alphaSpent).to.be.closeTo(0.05, 1e-12);
        expect(plan.darkLaunch).to.include({ kind: "dark-launch", stepIndex: -1, percent: 0, mode: "absolute", maxRequests: 8_000 });
    });

    it("within a stage: the error test gets 3 parts, each latency test 1; tests sum to the stage's α", () => {
        expect(ERROR_TEST_WEIGHT).to.equal(3);
        const plan = planHealth([10, 100], DEFAULT_HEALTH_SETTINGS);
        const [comparative, absolute] = plan.stepPlans;
        expect(comparative.tests.map((t) => t.kind)).to.deep.equal(["error-difference", "latency-difference"]);
        expect(comparative.tests[0].alpha).to.be.closeTo((comparative.alpha * 3) / 4, 1e-15);
        expect(comparative.tests[1].alpha).to.be.closeTo(comparative.alpha / 4, 1e-15);
        expect(absolute.tests.map((t) => t.kind)).to.deep.equal(["error-bound", "latency-bound", "latency-bound"]);
        [3 / 5, 1 / 5, 1 / 5].forEach((share, i) => expect(absolute.tests[i].alpha).to.be.closeTo(share * absolute.alpha, 1e-15));
        for (const s of [plan.darkLaunch, ...plan.stepPlans]) {
            expect(s.tests.reduce((a, t) => a + t.alpha, 0)).to.be.closeTo(s.alpha, 1e-15);
            for (const t of s.tests) expect(t.beta).to.equal(DEFAULT_HEALTH_SETTINGS.beta);
        }
        expect(comparative.tests[0]).to.include({ tolerance: 0.01, effect: 0.02 });
        expect(comparative.tests[1]).to.include({ quantile: 0.5, toleranceMs: 25, effectMs: 50 });
        expect(absolute.tests[0]).to.include({ maxRate: 0.01, detectableRate: 0.02 });
        expect(absolute.tests[2]).to.include({ quantile: 0.95, maxMs: 500 });
    });

    it("is a pure function of the steps and settings", () => {
        expect(planHealth([5, 20, 100], DEFAULT_HEALTH_SETTINGS)).to.deep.equal(planHealth([5, 20, 100], DEFAULT_HEALTH_SETTINGS));
    });

    it("a single step of 100%: α split between the dark launch and that step", () => {
        const plan = planHealth([100], DEFAULT_HEALTH_SETTINGS);
        expect(plan.darkLaunch.alpha).to.be.closeTo(0.025, 1e-15);
        expect(plan.stepPlans[0].alpha).to.be.closeTo(0.025, 1e-15);
    });

    it("budgets: requestBudget alone, requestBudget × (1/s + 1/(1 - s)) side by side", () => {
        const table: [number, number][] = [
            [100, 1000],
            [50, 4000],
            [10, 11_112],
            [1, 101_011],
            [99, 101_011],
        ];
        for (const [percent, want] of table) expect(stageBudget(percent, 1000), String(percent)).to.equal(want);
    });

    it("rejects steps that are not increasing integer percentages", () => {
        expect(() => checkSteps([])).to.throw(/no step/);
        expect(() => checkSteps([0, 50])).to.throw(/integer from 1 to 100/);
        expect(() => checkSteps([10, 10])).to.throw(/increase/);
        expect(() => checkSteps([50, 25])).to.throw(/increase/);
        expect(() => checkSteps([12.5])).to.throw(/integer/);
        expect(() => checkSteps([101])).to.throw(/1 to 100/);
        expect(checkSteps([1, 2, 100])).to.deep.equal([1, 2, 100]);
    });
});

describe("settings", () => {
    it("the defaults pass their own check", () => {
        expect(checkHealthSettings(DEFAULT_HEALTH_SETTINGS)).to.equal(DEFAULT_HEALTH_SETTINGS);
    });

    it("names the first setting out of range", () => {
        const bad = (patch: Partial<HealthSettings>) => () => checkHealthSettings({ ...DEFAULT_HEALTH_SETTINGS, ...patch });
        expect(bad({ alpha: 0 })).to.throw(/alpha/);
        expect(bad({ alpha: 0.5 })).to.throw(/alpha/);
        expect(bad({ beta: 1 })).to.throw(/beta/);
        expect(bad({ errorRateEffect: 0.01 })).to.throw(/errorRateEffect must be above/);
        expect(bad({ latencyQuantile: 1 })).to.throw(/latencyQuantile/);
        expect(bad({ latencyEffectMs: 25 })).to.throw(/latencyEffectMs/);
        expect(bad({ requestBudget: 0 })).to.throw(/requestBudget/);
        expect(bad({ absolute: { ...DEFAULT_HEALTH_SETTINGS.absolute, detectableErrorRate: 0.01 } })).to.throw(/detectableErrorRate/);
        expect(bad({ absolute: { ...DEFAULT_HEALTH_SETTINGS.absolute, latency: [{ quantile: 0.5, maxMs: 0 }] } })).to.throw(/positive/);
        expect(() => planHealth([10], { ...DEFAULT_HEALTH_SETTINGS, alpha: 2 })).to.throw(/alpha/);
    });
});
