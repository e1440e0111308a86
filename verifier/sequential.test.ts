/** The decision procedure on fixed response sequences, and the verdict rules around it. */
import { expect } from "chai";
import { decide, decideFixed, initialState, planSplitTest, SplitPlan, SplitState, step } from "./sequential";
import { conclude, emptyTally, record, Tally } from "./verify";
import { classify } from "./classify";

function run(plan: SplitPlan, seq: string[]): { state: SplitState; decidedAt?: number; decision: string } {
    let state = initialState(plan);
    for (const v of seq) {
        state = step(plan, state, v);
        const d = decide(plan, state).decision;
        if (d !== "continue") return { state, decidedAt: state.n, decision: d };
    }
    return { state, decision: "continue" };
}
const repeat = <T>(xs: T[], n: number): T[] => Array.from({ length: n }, (_, i) => xs[i % xs.length]);
const REQUESTS = { sent: 0, completed: 0, cancelled: 0, elapsedMs: 0, stoppedBy: "max-requests" as const };
const TARGET = { url: "http://x.test/", host: "x.test" };

describe("verifier sequential test", () => {
    const even = planSplitTest({ v1: 50, v2: 50 });

    it("tests the candidate's share with two one-sided SPRTs at α/2 each", () => {
        expect(even.checks).to.have.length(1);
        const c = even.checks[0];
        expect(c.kind).to.equal("sprt");
        if (c.kind !== "sprt") return;
        expect(c.version).to.equal("v2");
        expect(c.sides.map((s) => s.p1)).to.deep.equal([0.4, 0.6]);
        expect(Math.exp(c.sides[0].logA)).to.be.closeTo(1900, 1e-9); // (1 - 0.05) / 0.0005
    });

    it("all answers from the stable version: mismatch after ceil(ln 1900 / ln 1.2) = 42", () => {
        const r = run(even, repeat(["v1"], 100));
        expect(r.decision).to.equal("mismatch");
        expect(r.decidedAt).to.equal(Math.ceil(Math.log(1900) / Math.log(1.2)));
    });

    it("strictly alternating answers at 50/50: match at n = 148 (both sides at ln(0.96) per pair)", () => {
        // side p1=0.6 reaches ln B = ln(0.05/0.9995) at n = 137 (68 pairs and a v1), side p1=0.4 at 74 pairs.
        const r = run(even, repeat(["v1", "v2"], 400));
        expect(r.decision).to.equal("match");
        expect(r.decidedAt).to.equal(148);
    });

    it("a 70/30 sequence against 50/50 is a mismatch (negative control)", () => {
        const r = run(even, repeat(["v1", "v1", "v2", "v1", "v1", "v2", "v1", "v2", "v1", "v1"], 2000));
        expect(r.decision).to.equal("mismatch");
    });

    it("0%/100%: one wrong answer fails, 29 right answers pass", () => {
        const plan = planSplitTest({ v1: 100, v2: 0 });
        expect(plan.fullVersion).to.equal("v1");
        expect(run(plan, repeat(["v1"], 28)).decision).to.equal("continue");
        expect(run(plan, repeat(["v1"], 29)).decidedAt).to.equal(29);
        expect(run(plan, [...repeat(["v1"], 10), "v2"]).decision).to.equal("mismatch");
        // The candidate alone: an answer from a version outside the expectation is wrong too.
        const alone = planSplitTest({ v2: 100 });
        let t: Tally = emptyTally(alone);
        t = record(alone, t, { kind: "response", status: 200, body: "Hello World : v1 !\n" });
        expect(decide(alone, t.state).decision).to.equal("mismatch");
    });

    it("more than two versions: one check per non-first version, α split between the SPRTs", () => {
        const plan = planSplitTest({ v1: 50, v2: 30, v3: 20, v4: 0 }, { alpha: 0.001, power: 0.95, delta: 0.1 });
        expect(plan.checks.map((c) => [c.version, c.kind])).to.deep.equal([["v2", "sprt"], ["v3", "sprt"], ["v4", "certain"]]);
        expect(plan.checks.map((c) => (c.kind === "sprt" ? c.alpha : 0))).to.deep.equal([0.0005, 0.0005, 0]);
        expect(run(plan, ["v1", "v4"]).decision).to.equal("mismatch");
    });

    it("the fixed-size fallback: the exact test at α on what was collected", () => {
        let s = initialState(even);
        for (const v of repeat(["v1"], 20)) s = step(even, s, v);
        const fixed = decideFixed(even, s);
        expect(fixed.decision).to.equal("mismatch"); // p = 2^-19 ≈ 1.9e-6 ≤ 0.001
        expect(fixed.checks[0].pValue).to.be.closeTo(2 * 0.5 ** 20, 1e-15);
        let t = initialState(even);
        for (const v of repeat(["v1", "v2"], 20)) t = step(even, t, v);
        expect(decideFixed(even, t).decision).to.equal("match");
    });

    it("classifies by the trailing `: <version> !` token only", () => {
        const vs = new Set(["v1", "v2"]);
        expect(classify(200, "Hello World : v1 !\n", vs)).to.deep.equal({ kind: "version", version: "v1" });
        expect(classify(200, "Hello a : v2 ! b : v1 !\n", vs)).to.deep.equal({ kind: "version", version: "v1" });
        expect(classify(200, "Hello World : v3 !\n", vs)).to.deep.equal({ kind: "other-version", version: "v3" });
        expect(classify(200, "<html>default backend</html>", vs)).to.deep.equal({ kind: "unclassifiable" });
        expect(classify(404, "Hello World : v1 !\n", vs)).to.deep.equal({ kind: "unclassifiable" });
        expect(classify(503, "Hello World : v1 !\n", vs)).to.deep.equal({ kind: "server-error", status: 503 });
    });

    it("counts every error and fails on too many, before judging the split", () => {
        let t = emptyTally(even);
        for (const v of repeat(["v1", "v2"], 100)) t = record(even, t, { kind: "response", status: 200, body: `Hello : ${v} !\n` });
        t = record(even, t, { kind: "response", status: 502, body: "bad gateway" });
        t = record(even, t, { kind: "error", error: "timeout", message: "no answer" });
        t = record(even, t, { kind: "response", status: 200, body: "Hello : v9 !\n" });
        expect(t.errors).to.include({ serverError: 1, timeout: 1, unclassifiable: 1, total: 3 });
        expect(t.errors.otherVersions).to.deep.equal({ v9: 1 });
        // 200 answers are not enough for the asked-for power: not a pass, whatever the split.
        expect(conclude(even, t, REQUESTS, TARGET, 0.05).verdict).to.equal("inconclusive");
        const strict = conclude(even, t, REQUESTS, TARGET, 0.01);
        expect(strict.verdict).to.equal("error");
        expect(strict.exitCode).to.equal(2);
        expect(strict.reason).to.match(/too many errors: 3 of 103 answers/);
    });

    it("an undecided check with less than the asked-for power is 'could not judge' (exit 2), never a pass", () => {
        let t = emptyTally(even);
        for (const v of repeat(["v1", "v2"], 30)) t = record(even, t, { kind: "response", status: 200, body: `Hello : ${v} !\n` });
        const r = conclude(even, t, REQUESTS, TARGET, 0.05);
        expect(r.method).to.equal("exact-fallback");
        expect(r.verdict).to.equal("inconclusive");
        expect(r.exitCode).to.equal(2);
        expect(r.reason).to.match(/--max-requests ran out before the sequential test decided; fell back to the exact test on the 30 answers/);
        expect(r.reason).to.match(/could not judge: .* only .*% power against a 10-point deviation \(95\.0% asked for\)/);
        expect(r.pValue).to.equal(1);
    });

    it("a 100% expectation met by 5 answers only, or by none against the other version, is not a pass", () => {
        const full = planSplitTest({ v1: 100, v2: 0 }, even.settings);
        let t = emptyTally(full);
        for (let i = 0; i < 5; i++) t = record(full, t, { kind: "response", status: 200, body: "Hello : v1 !\n" });
        expect(conclude(full, t, REQUESTS, TARGET, 0.05)).to.include({ verdict: "inconclusive", exitCode: 2 });
        // The case: 50/50 expected, a server answering only v1, 5 requests.
        let only = emptyTally(even);
        for (let i = 0; i < 5; i++) only = record(even, only, { kind: "response", status: 200, body: "Hello : v1 !\n" });
        expect(conclude(even, only, REQUESTS, TARGET, 0.05)).to.include({ verdict: "inconclusive", exitCode: 2 });
    });

    it("the fallback passes when what was collected had the asked-for power", () => {
        let t = emptyTally(even);
        for (const v of repeat(["v1", "v2"], 1000)) t = record(even, t, { kind: "response", status: 200, body: `Hello : ${v} !\n` });
        // As if the sequential test had not decided (its sides still open): the exact test decides.
        t = { ...t, state: { ...t.state, sides: t.state.sides.map((sides) => sides.map(() => ({ decided: "open" as const }))) } };
        const r = conclude(even, t, REQUESTS, TARGET, 0.05);
        expect(r).to.include({ method: "exact-fallback", verdict: "match", exitCode: 0 });
        expect(r.fallbackPower!).to.be.at.least(0.95);
    });
});
