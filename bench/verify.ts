/**
 * npm run bench:verify [-- --runs N --seed S]
 *
 * Simulates the verifier's decision procedure (verifier/sequential.ts, the code the CLI runs) on
 * seeded Bernoulli streams, no network, and sets it beside the fixed-size exact test with the
 * same α and power: false-alarm rate at the true split, detection rate at a δ deviation, mean and
 * p95 requests used. Target: the sequential test uses on average at most 60% of the fixed-size
 * test's requests, at no worse error rates.
 */
import { parseArgs } from "node:util";
import { decide, decideFixed, DEFAULT_SETTINGS, initialState, planSplitTest, SplitPlan, step, TestSettings } from "../verifier/sequential";
import { exactSampleSize } from "../verifier/stats";

/** mulberry32: a small, fast, seedable PRNG; good enough for Bernoulli draws. */
export function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

interface RunResult {
    mismatch: boolean;
    requests: number;
    fellBack: boolean;
}

/** One sequential run against a true candidate share p, truncated at maxRequests like the CLI. */
function sequentialRun(plan: SplitPlan, p: number, maxRequests: number, rand: () => number): RunResult {
    const [stable, candidate] = Object.keys(plan.expect);
    let state = initialState(plan);
    while (state.n < maxRequests) {
        state = step(plan, state, rand() < p ? candidate : stable);
        const d = decide(plan, state).decision;
        if (d !== "continue") return { mismatch: d === "mismatch", requests: state.n, fellBack: false };
    }
    return { mismatch: decideFixed(plan, state).decision === "mismatch", requests: state.n, fellBack: true };
}

/** One fixed-size run: n draws, then the exact test (decideFixed is that test). */
function fixedRun(plan: SplitPlan, p: number, n: number, rand: () => number): RunResult {
    const [stable, candidate] = Object.keys(plan.expect);
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < p) k++;
    const state = { ...initialState(plan), n, counts: { [stable]: n - k, [candidate]: k } };
    return { mismatch: decideFixed(plan, state).decision === "mismatch", requests: n, fellBack: false };
}

interface Summary {
    rate: number;
    mean: number;
    p95: number;
    fellBack: number;
}

function summarize(results: RunResult[]): Summary {
    const req = results.map((r) => r.requests).sort((a, b) => a - b);
    return {
        rate: results.filter((r) => r.mismatch).length / results.length,
        mean: req.reduce((s, x) => s + x, 0) / req.length,
        p95: req[Math.min(req.length - 1, Math.ceil(0.95 * req.length) - 1)],
        fellBack: results.filter((r) => r.fellBack).length / results.length,
    };
}

const pct = (x: number, d = 2) => `${(100 * x).toFixed(d)}%`;

function main(): void {
    const { values } = parseArgs({
        options: { runs: { type: "string", default: "10000" }, seed: { type: "string", default: "20240601" }, "max-requests": { type: "string", default: "2000" } },
    });
    const runs = Number(values.runs);
    const seed = Number(values.seed);
    const maxRequests = Number(values["max-requests"]);
    const settings: TestSettings = DEFAULT_SETTINGS;
    console.log(
        `traffic verifier benchmark: ${runs} simulated runs per row, seed ${seed}; α = ${settings.alpha}, power = ${settings.power}, ` +
            `δ = ${settings.delta * 100} points; sequential truncated at ${maxRequests} (then the exact test, as the CLI does)`,
    );
    console.log("sequential = two one-sided Wald SPRTs (α/2 each, β = 1 - power); fixed = central exact binomial test at the size below\n");
    const header = ["expected", "truth", "test", "mismatch rate", "mean req", "p95 req", "fell back"];
    const rows: string[][] = [header];
    let allMet = true;
    const verdicts: string[] = [];
    for (const candidatePercent of [50, 10, 30]) {
        const expect = { v1: 100 - candidatePercent, v2: candidatePercent };
        const plan = planSplitTest(expect, settings);
        const p0 = candidatePercent / 100;
        const size = exactSampleSize(p0, settings.delta, settings.alpha, settings.power);
        const truths = [p0, p0 + settings.delta, p0 - settings.delta].filter((p) => p >= 0 && p <= 1);
        const rand = mulberry32(seed + candidatePercent);
        const seqMean: Record<string, number> = {};
        const fixMean: Record<string, number> = {};
        for (const truth of truths) {
            const label = truth === p0 ? "true split" : `${Math.round(truth * 100)}% (${truth > p0 ? "+" : "-"}δ)`;
            const seq = summarize(Array.from({ length: runs }, () => sequentialRun(plan, truth, maxRequests, rand)));
            const fix = summarize(Array.from({ length: runs }, () => fixedRun(plan, truth, size.n, rand)));
            seqMean[label] = seq.mean;
            fixMean[label] = fix.mean;
            const name = `v1=${expect.v1},v2=${expect.v2}`;
            rows.push([name, label, "sequential", pct(seq.rate, 3), seq.mean.toFixed(1), String(seq.p95), pct(seq.fellBack)]);
            rows.push([name, label, `fixed n=${size.n}`, pct(fix.rate, 3), fix.mean.toFixed(1), String(fix.p95), "-"]);
            // Flag a false-alarm rate more than 3 standard errors above α (runs are finite).
            const limit = settings.alpha + 3 * Math.sqrt((settings.alpha * (1 - settings.alpha)) / runs);
            if (truth === p0 && seq.rate > limit) verdicts.push(`  ${name}: false-alarm rate ${pct(seq.rate, 3)} above α + 3 s.e. (${pct(limit, 3)})`);
            if (truth !== p0 && seq.rate < settings.power - 0.01) verdicts.push(`  ${name} at ${label}: detection ${pct(seq.rate)} below the power`);
        }
        for (const label of Object.keys(seqMean)) {
            const ratio = seqMean[label] / fixMean[label];
            const met = ratio <= 0.6;
            if (!met) allMet = false;
            verdicts.push(
                `  v1=${expect.v1},v2=${expect.v2} at ${label}: sequential mean ${seqMean[label].toFixed(1)} / fixed ${fixMean[label].toFixed(0)} ` +
                    `(first n reaching the power: ${size.first}) = ${pct(ratio, 1)} ${met ? "(≤ 60%: met)" : "(> 60%: NOT met)"}`,
            );
        }
    }
    const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("  "));
    console.log("\naverage requests, sequential / fixed:");
    for (const v of verdicts) console.log(v);
    console.log(`\ntarget (sequential mean ≤ 60% of the fixed-size test in every row): ${allMet ? "MET" : "NOT MET"}`);
}

if (require.main === module) main();
