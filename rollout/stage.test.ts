/**
 * A stage's judgment, pure: which revision an answer is attributed to, how the split and the
 * health judge count it, and the verdict's rule (never "pass" unless both judgments passed).
 */
import { expect } from "chai";
import type { Outcome } from "../verifier/sampler";
import { syntheticRecords } from "./fakes";
import { DEFAULT_HEALTH_SETTINGS, planHealth } from "./judge";
import { alphaPlan, splitSettingsAt } from "./plan";
import { addRecord, initialStage, judgeRecords, observation, splitPlanOf, toRecord, type StageSpec } from "./stage";

const versions = { stable: "v2", candidate: "v3" };
const response = (status: number, body: string, appVersion?: string): Outcome => ({ kind: "response", status, body, latencyMs: 12.3456, ...(appVersion ? { appVersion } : {}) });

describe("rollout stage: attribution and judgment", () => {
    it("reads the version from x-app-version first, else from a 2xx or 5xx body; keeps latency", () => {
        expect(toRecord(response(200, "Hello World : v3 !\n"), 5)).to.deep.equal({ t: 5, status: 200, version: "v3", latencyMs: 12.346 });
        expect(toRecord(response(200, "Hello World : v3 !\n", "v2"), 5).version).to.equal("v2");
        expect(toRecord(response(500, "Internal Server Error\n"), 5)).to.deep.equal({ t: 5, status: 500, latencyMs: 12.346 });
        expect(toRecord(response(503, "oops", "v3"), 5).version).to.equal("v3");
        expect(toRecord(response(500, "Hello World : v3 !"), 5).version).to.equal("v3");
        // A 404 page is not read for a version (it is nobody's answer) unless the header names one.
        expect(toRecord(response(404, "Hello World : v3 !"), 5).version).to.equal(undefined);
        expect(toRecord({ kind: "error", error: "timeout", message: "x", latencyMs: 5000 }, 9)).to.deep.equal({ t: 9, error: "timeout", latencyMs: 5000 });
    });

    it("gives the health judge an arm only for the stable and the candidate; anything else is unattributed (an error)", () => {
        expect(observation({ t: 0, status: 200, version: "v3", latencyMs: 9 }, versions)).to.deep.equal({ arm: "candidate", error: false, latencyMs: 9 });
        expect(observation({ t: 0, status: 503, version: "v2", latencyMs: 9 }, versions)).to.deep.equal({ arm: "stable", error: true, latencyMs: 9 });
        expect(observation({ t: 0, status: 500, latencyMs: 9 }, versions)).to.deep.equal({ error: true, latencyMs: 9 });
        expect(observation({ t: 0, error: "connection", latencyMs: 1 }, versions)).to.deep.equal({ error: true, latencyMs: 1 });
        expect(observation({ t: 0, status: 200, version: "v1", latencyMs: 9 }, versions)).to.deep.equal({ error: true, latencyMs: 9 });
        expect(observation({ t: 0, status: 404, latencyMs: 9 }, versions)).to.deep.equal({ error: true, latencyMs: 9 });
    });

    const steps = [10, 50, 100];
    const alpha = alphaPlan(steps, 0.05);
    const health = planHealth(steps, { ...DEFAULT_HEALTH_SETTINGS, alpha: alpha.health });
    const spec = (i: number, maxRequests = health.stepPlans[i].maxRequests): StageSpec => ({
        kind: "step",
        label: `step ${i + 1}`,
        percent: steps[i],
        versions,
        health: health.stepPlans[i],
        expect: { v2: 100 - steps[i], v3: steps[i] },
        split: splitSettingsAt(steps[i], alpha),
        maxRequests,
    });
    const target = { url: "http://svc.test/", host: "svc.test" };

    it("counts an answer named by its header in the split even when it is a 5xx, and a bare 5xx as an error", () => {
        const s = spec(1);
        const plan = splitPlanOf(s);
        let state = initialStage(s);
        state = addRecord(s, plan, state, { t: 0, status: 503, version: "v3", latencyMs: 1 });
        state = addRecord(s, plan, state, { t: 1, status: 500, latencyMs: 1 });
        state = addRecord(s, plan, state, { t: 2, status: 200, version: "v1", latencyMs: 1 });
        expect(state.tally.state.counts).to.deep.equal({ v2: 0, v3: 1 });
        expect(state.tally.errors).to.include({ serverError: 1, unclassifiable: 1, total: 2 });
        expect(state.health!.candidate).to.include({ requests: 1, errors: 1 });
        expect(state.health!.unattributedErrors).to.equal(2);
    });

    it("passes a healthy step, fails one with a wrong split even when health passes", () => {
        const ok = judgeRecords(spec(0), syntheticRecords(20000, 10, {}, versions), target);
        expect(ok.verdict, ok.reasons.join("\n")).to.equal("pass");
        // Traffic at 50% judged as the 10% step: healthy, but the split is wrong.
        const wrong = judgeRecords(spec(0), syntheticRecords(20000, 50, {}, versions), target);
        expect(wrong.verdict).to.equal("fail");
        expect(wrong.split.verdict).to.equal("mismatch");
    });

    it("is inconclusive, never a pass, when the budget ends before the health judge decides", () => {
        const short = judgeRecords(spec(0, 300), syntheticRecords(20000, 10, {}, versions), target);
        expect(short.split.verdict).to.equal("match");
        expect(short.verdict).to.equal("inconclusive");
        expect(short.reasons[0]).to.match(/could not judge: \d of 2 tests undecided after 300 requests/);
    });

    it("judges 100% alone against the absolute bounds", () => {
        const slow = judgeRecords(spec(2), syntheticRecords(8000, 100, { extraMs: 150 }, versions), target);
        expect(slow.verdict).to.equal("fail");
        expect(slow.reasons.join("\n")).to.match(/latency p50: abort above 100 ms.*ABORT/);
    });
});
