import { expect } from "chai";
import {
    ArmBatch,
    chargedCandidate,
    concludeHealth,
    decideHealth,
    HealthState,
    initialDarkLaunchState,
    initialHealthState,
    Observation,
    observe,
    observeBatch,
    readTest,
    stageDecision,
} from "./judge";
import { planHealth } from "./plan";
import { DEFAULT_HEALTH_SETTINGS } from "./settings";

const plan = planHealth([10, 25, 50, 100], DEFAULT_HEALTH_SETTINGS);
const STEP_10 = 0;
const STEP_50 = 2;
const STEP_100 = 3;

/** n requests of which `errors` failed, the successes all taking `ms`. */
const arm = (n: number, errors: number, ms = 10): ArmBatch => ({ requests: n, errors, latenciesMs: Array(n - errors).fill(ms) });

/** Feeds the same batch until the stage decides or `times` batches have gone in. */
function feed(state: HealthState, batch: Parameters<typeof observeBatch>[1], times: number): HealthState {
    let s = state;
    for (let i = 0; i < times && stageDecision(s) === "continue"; i++) s = observeBatch(s, batch);
    return s;
}

describe("judge: states and observations", () => {
    it("starts open, with one status per planned test", () => {
        const s = initialHealthState(plan, STEP_10);
        expect(s.stage).to.equal(plan.stepPlans[0]);
        expect(s.tests).to.deep.equal([{ state: "open" }, { state: "open" }]);
        expect(stageDecision(s)).to.equal("continue");
        expect(initialDarkLaunchState(plan).tests).to.have.length(3);
        expect(() => initialHealthState(plan, 4)).to.throw(/no step index 4/);
    });

    it("observe: one request at a time, the same as batches of one", () => {
        const stream: Observation[] = [
            { arm: "stable", error: false, latencyMs: 9 },
            { arm: "candidate", error: false, latencyMs: 11 },
            { arm: "candidate", error: true, latencyMs: 5000 },
            { error: true, latencyMs: 5000 },
            { arm: "stable", error: true, latencyMs: 3 },
        ];
        let a = initialHealthState(plan, STEP_50);
        for (const o of stream) a = observe(a, o);
        expect(a.requests).to.equal(5);
        expect([a.stable.requests, a.stable.errors, a.stable.latency.total]).to.deep.equal([2, 1, 1]);
        expect([a.candidate.requests, a.candidate.errors, a.candidate.latency.total]).to.deep.equal([2, 1, 1]);
        expect(a.unattributedErrors).to.equal(1);
        let b = initialHealthState(plan, STEP_50);
        b = observeBatch(b, { stable: { requests: 1, errors: 0, latenciesMs: [9] } });
        b = observeBatch(b, { candidate: { requests: 1, errors: 0, latenciesMs: [11] } });
        b = observeBatch(b, { candidate: { requests: 1, errors: 1 } });
        b = observeBatch(b, { unattributedErrors: 1 });
        b = observeBatch(b, { stable: { requests: 1, errors: 1 } });
        expect(b).to.deep.equal(a);
    });

    it("never changes the state it is given", () => {
        const s0 = initialHealthState(plan, STEP_50);
        const frozen = JSON.stringify({ ...s0, stable: { ...s0.stable, latency: Array.from(s0.stable.latency.counts) } });
        observeBatch(s0, { stable: arm(100, 1), candidate: arm(100, 50), unattributedErrors: 3 });
        expect(JSON.stringify({ ...s0, stable: { ...s0.stable, latency: Array.from(s0.stable.latency.counts) } })).to.equal(frozen);
    });

    it("rejects malformed batches", () => {
        const s = initialHealthState(plan, STEP_50);
        expect(() => observeBatch(s, { stable: { requests: 2, errors: 3 } })).to.throw(/0 ≤ errors ≤ requests/);
        expect(() => observeBatch(s, { stable: { requests: 1.5, errors: 0 } })).to.throw(/integer/);
        expect(() => observeBatch(s, { stable: { requests: 1, errors: 0, latenciesMs: [1, 2] } })).to.throw(/more latencies/);
        expect(() => observeBatch(s, { unattributedErrors: -1 })).to.throw(/non-negative/);
    });
});

describe("judge: edge cases", () => {
    it("zero errors everywhere, same latency: passes", () => {
        const s = feed(initialHealthState(plan, STEP_50), { stable: arm(20, 0), candidate: arm(20, 0) }, 500);
        expect(stageDecision(s)).to.equal("pass");
        expect(s.tests.map((t) => t.state)).to.deep.equal(["pass", "pass"]);
        const { verdict, evidence } = concludeHealth(s);
        expect(verdict).to.equal("pass");
        expect(evidence.candidate.errorRate).to.equal(0);
        expect(evidence.candidate.errorRateInterval.lower).to.equal(0);
        expect(evidence.candidate.p50Ms).to.be.closeTo(10, 0.2);
    });

    it("all errors everywhere: no worse than the stable, but no latency to judge: 'inconclusive'; alone, it fails", () => {
        const s = feed(initialHealthState(plan, STEP_50), { stable: arm(20, 20), candidate: arm(20, 20) }, 500);
        expect(s.tests.map((t) => t.state)).to.deep.equal(["pass", "open"]);
        expect(stageDecision(s)).to.equal("continue");
        expect(concludeHealth(s).verdict).to.equal("inconclusive");
        const dark = feed(initialDarkLaunchState(plan), { candidate: arm(10, 10) }, 500);
        expect(stageDecision(dark)).to.equal("fail");
        expect(dark.requests).to.be.at.most(20);
    });

    it("a candidate failing every request while the stable is fine: fails within a few candidate requests", () => {
        const s = feed(initialHealthState(plan, STEP_10), { stable: arm(9, 0), candidate: arm(1, 1) }, 500);
        expect(stageDecision(s)).to.equal("fail");
        expect(s.candidate.requests).to.be.at.most(10);
    });

    it("no candidate observations: never decides; at the end 'inconclusive', saying why", () => {
        const s = feed(initialHealthState(plan, STEP_10), { stable: arm(1000, 5) }, 50);
        expect(stageDecision(s)).to.equal("continue");
        const c = concludeHealth(s);
        expect(c.verdict).to.equal("inconclusive");
        expect(c.reasons[0]).to.match(/none of 50000 requests was answered by the candidate/);
        expect(concludeHealth(initialHealthState(plan, STEP_10)).reasons[0]).to.match(/no request was observed/);
    });

    it("too little evidence when the budget ends: 'inconclusive', never 'pass'", () => {
        const s = feed(initialHealthState(plan, STEP_10), { stable: arm(90, 0), candidate: arm(10, 0) }, 2);
        expect(stageDecision(s)).to.equal("continue");
        const c = concludeHealth(s);
        expect(c.verdict).to.equal("inconclusive");
        expect(c.reasons[0]).to.match(/could not judge: \d of 2 tests undecided after 200 requests/);
    });

    it("a decided test stays decided (the driver stops at the first decision)", () => {
        const passed = feed(initialHealthState(plan, STEP_50), { stable: arm(20, 0), candidate: arm(20, 0) }, 500);
        const after = feed(passed, { stable: arm(20, 0), candidate: arm(20, 20) }, 1);
        expect(after.tests).to.deep.equal(passed.tests);
    });
});

describe("judge: unattributed errors are charged to the candidate", () => {
    it("counts them as failed candidate requests in the tests, and shows them apart", () => {
        const s = observeBatch(initialHealthState(plan, STEP_50), { stable: arm(100, 0), candidate: arm(100, 1), unattributedErrors: 4 });
        expect(chargedCandidate(s)).to.deep.equal({ requests: 104, errors: 5 });
        const e = decideHealth(s).evidence;
        expect(e.candidate.requests).to.equal(100);
        expect(e.candidate.errors).to.equal(1);
        expect(e.unattributedErrors).to.equal(4);
    });

    it("a non-error answer that names no revision is an unattributed error", () => {
        const s = observe(initialHealthState(plan, STEP_50), { error: false, latencyMs: 4 });
        expect(s.unattributedErrors).to.equal(1);
    });

    it("a candidate whose failures all arrive unattributed (it crashes) fails like one whose failures name it", () => {
        const named = feed(initialHealthState(plan, STEP_10), { stable: arm(90, 0), candidate: arm(10, 1) }, 1000);
        const unnamed = feed(initialHealthState(plan, STEP_10), { stable: arm(90, 0), candidate: arm(9, 0), unattributedErrors: 1 }, 1000);
        expect(stageDecision(named)).to.equal("fail");
        expect(stageDecision(unnamed)).to.equal("fail");
    });

    it("never help the candidate: its pass-side e-value only falls as unattributed errors come in", () => {
        const base = observeBatch(initialHealthState(plan, STEP_50), { stable: arm(2000, 10), candidate: arm(2000, 10) });
        const more = observeBatch(base, { unattributedErrors: 5 });
        const test = plan.stepPlans[STEP_50].tests[0];
        expect(readTest(test, more).pass.statistic).to.be.below(readTest(test, base).pass.statistic);
    });

    it("the price: at 10%, the stable's unattributed errors weigh nine times against the candidate", () => {
        // Both revisions fail 0.3% of requests; the stable's failures name no revision. Charged to
        // the candidate they look like 0.3% + 9 × 0.3% = 3%: the conservative rule aborts.
        const s = feed(initialHealthState(plan, STEP_10), { stable: arm(900, 0), candidate: arm(97, 0), unattributedErrors: 3 }, 1000);
        expect(stageDecision(s)).to.equal("fail");
    });
});

describe("judge: absolute stages (the dark launch and 100%)", () => {
    it("a healthy candidate passes the dark launch on error rate and both latency bounds", () => {
        const s = feed(initialDarkLaunchState(plan), { candidate: arm(10, 0, 12) }, 1000);
        expect(stageDecision(s)).to.equal("pass");
        expect(s.tests.map((t) => t.state)).to.deep.equal(["pass", "pass", "pass"]);
    });

    it("fails on a quantile above its bound, and on an error rate above its bound", () => {
        const slow = feed(initialHealthState(plan, STEP_100), { candidate: arm(10, 0, 150) }, 1000);
        expect(slow.tests.map((t) => t.state)).to.include("fail");
        expect(decideHealth(slow).reasons.join("\n")).to.match(/latency p50: abort above 100 ms, pass at or below: ABORT/);
        const failing = feed(initialHealthState(plan, STEP_100), { candidate: arm(10, 1, 12) }, 1000);
        expect(failing.tests[0].state).to.equal("fail");
    });

    it("does not judge the stable's answers at 100% (shown, not used)", () => {
        const s = feed(initialHealthState(plan, STEP_100), { stable: arm(10, 10), candidate: arm(10, 0, 12) }, 1000);
        expect(stageDecision(s)).to.equal("pass");
        expect(decideHealth(s).evidence.stable.errors).to.be.above(0);
    });
});

describe("judge: evidence and reasons", () => {
    it("reports, per revision, requests, error rate with its interval, p50 and p95; per test, its status and numbers", () => {
        const s = feed(initialHealthState(plan, STEP_50), { stable: arm(20, 0, 10), candidate: arm(20, 2, 70) }, 500);
        const j = decideHealth(s);
        expect(j.decision).to.equal("fail");
        const e = j.evidence;
        expect(e.stage).to.deep.include({ label: "step 3 of 4 (50%)", percent: 50, mode: "comparative" });
        expect(e.maxRequests).to.equal(32_000);
        expect(e.stable.p50Ms).to.be.closeTo(10, 0.2);
        expect(e.candidate.p50Ms).to.be.closeTo(70, 1);
        expect(e.candidate.p95Ms).to.be.closeTo(70, 1);
        expect(e.candidate.errorRate).to.be.closeTo(0.1, 1e-12);
        expect(e.candidate.errorRateInterval.lower).to.be.below(0.1);
        expect(e.candidate.errorRateInterval.upper).to.be.above(0.1);
        expect(e.tests.map((t) => t.status.state)).to.include("fail");
        expect(e.tests[1].name).to.equal("latency p50, candidate − stable: abort above 25 ms, pass below 50 ms");
        expect(j.reasons.some((r) => /ABORT after \d+ requests/.test(r))).to.equal(true);
    });

    it("reasons for an undecided test give both sides' numbers", () => {
        const s = observeBatch(initialHealthState(plan, STEP_10), { stable: arm(90, 0), candidate: arm(10, 0) });
        const r = decideHealth(s).reasons;
        expect(r[0]).to.match(/error rate, candidate − stable: abort above 1\.00%, pass below 2\.00%: undecided \(abort e-value .* of 48\.0, pass e-value .* of 20\.0\)/);
    });
});
