/**
 * npx ts-node --transpile-only bench/judge.ts [--runs N] [--rollouts N] [--seed S] [--steps 10,25,50,100]
 *
 * Simulates the rollout health judge (rollout/judge, the code the rollout driver runs) on seeded
 * synthetic traffic, no network, at the default settings, and prints:
 *   - the plan: α per stage and per test, the sample budget per stage;
 *   - per stage and scenario: how often each outcome, and the requests used (mean, p95), beside a
 *     fixed-size test of the same α and power on the error rate (the test that sets the sample size);
 *   - per rollout: the false-abort rate over healthy rollouts, and where bad candidates are stopped;
 *   - the detection rate at the first step.
 * It prints figures and asserts nothing (the tests in rollout/judge/*.test.ts assert).
 */
import { parseArgs } from "node:util";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { planHealth, HealthPlan, StagePlan } from "../rollout/judge/plan";
import { DEFAULT_HEALTH_SETTINGS, HealthSettings } from "../rollout/judge/settings";
import {
    badScenario,
    binomialDraw,
    candidateShare,
    healthyScenario,
    Scenario,
    seededUniform,
    simulateRollout,
    simulateStage,
} from "../rollout/judge/simulate";
import { clopperPearson } from "../verifier/stats";

/** The base error rate the scenarios draw for both revisions, per run: uniform on [0, 0.5%]. */
const BASE_MAX = 0.005;
/** The base rate the fixed-size test is sized at (the top of that range: the hardest case in it). */
const DESIGN_BASE = 0.005;

interface Named {
    name: string;
    make: (base: number) => Scenario;
}

const SCENARIOS: Named[] = [
    { name: "healthy", make: (b) => healthyScenario(b) },
    { name: "+1 pt errors (at tolerance)", make: (b) => badScenario(b, 0.01, 0, 0.5) },
    { name: "+2 pt errors", make: (b) => badScenario(b, 0.02, 0, 0.5) },
    { name: "+50 ms", make: (b) => badScenario(b, 0, 50) },
];

const z = (p: number) => normalQuantile(p, 0, 1);
const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)}%`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/**
 * The fixed-size one-sided test of the stage's error rate with the same α and power 1 - β at the
 * design alternative (normal approximation, base rate DESIGN_BASE): side by side, H0 p_c - p_s ≤ τ
 * against p_c - p_s = δ; alone, H0 p ≤ maxRate against p = detectableRate.
 */
function fixedSize(stage: StagePlan, settings: HealthSettings): number {
    const t = stage.tests[0];
    const za = z(1 - t.alpha);
    const zb = z(1 - t.beta);
    const v = (p: number) => p * (1 - p);
    if (t.kind === "error-difference") {
        const s = candidateShare(stage);
        const w = (pc: number) => v(pc) / s + v(DESIGN_BASE) / (1 - s);
        return Math.ceil(((za * Math.sqrt(w(DESIGN_BASE + t.tolerance)) + zb * Math.sqrt(w(DESIGN_BASE + t.effect))) / (t.effect - t.tolerance)) ** 2);
    }
    if (t.kind === "error-bound") {
        const p0 = t.maxRate;
        const p1 = t.detectableRate;
        return Math.ceil(((za * Math.sqrt(v(p0)) + zb * Math.sqrt(v(p1))) / (p1 - p0)) ** 2);
    }
    throw new Error(`no fixed-size comparator for ${t.kind} (${settings.alpha})`);
}

/** A binomial draw for any n, in chunks the exact sampler takes. */
function bigBinomial(n: number, p: number, rand: () => number): number {
    let k = 0;
    for (let left = n; left > 0; left -= 1000) k += binomialDraw(Math.min(1000, left), p, rand);
    return k;
}

/** One run of the fixed-size Wald test at n requests: abort when it rejects, pass otherwise (it has no "inconclusive"). */
function fixedRun(stage: StagePlan, n: number, scenario: Scenario, rand: () => number): boolean {
    const t = stage.tests[0];
    const s = candidateShare(stage);
    const nc = s === 1 ? n : bigBinomial(n, s, rand);
    const ns = n - nc;
    const kc = bigBinomial(nc, scenario.candidate.errorRate, rand); // unattributed errors are charged back to it: the same
    const ks = bigBinomial(ns, scenario.stable.errorRate, rand);
    const est = (k: number, m: number) => (k + 0.5) / (m + 1); // keeps the variance off 0
    const za = z(1 - t.alpha);
    if (t.kind === "error-difference") {
        const pc = est(kc, nc);
        const ps = est(ks, ns);
        const sd = Math.sqrt((pc * (1 - pc)) / Math.max(1, nc) + (ps * (1 - ps)) / Math.max(1, ns));
        return (kc / Math.max(1, nc) - ks / Math.max(1, ns) - t.tolerance) / sd > za;
    }
    if (t.kind === "error-bound") {
        const p0 = t.maxRate;
        return (kc / n - p0) / Math.sqrt((p0 * (1 - p0)) / n) > za;
    }
    return false;
}

interface Row {
    pass: number;
    fail: number;
    inconclusive: number;
    mean: number;
    p95: number;
}

function stageRow(stage: StagePlan, named: Named, runs: number, rand: () => number): Row {
    const counts = { pass: 0, fail: 0, inconclusive: 0 };
    const requests: number[] = [];
    for (let i = 0; i < runs; i++) {
        const run = simulateStage(stage, named.make(BASE_MAX * rand()), rand);
        counts[run.outcome]++;
        requests.push(run.requests);
    }
    requests.sort((a, b) => a - b);
    return {
        pass: counts.pass / runs,
        fail: counts.fail / runs,
        inconclusive: counts.inconclusive / runs,
        mean: sum(requests) / runs,
        p95: quantile(requests, 0.95),
    };
}

function printTable(rows: string[][]): void {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) console.log(r.map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
}

function printPlan(plan: HealthPlan): void {
    console.log("plan (α spent per stage ∝ 1 / the candidate's share; the error test gets 3/4 of a side-by-side stage's α):");
    const rows = [["stage", "mode", "α", "tests (α each)", "budget"]];
    for (const s of [plan.darkLaunch, ...plan.stepPlans]) {
        rows.push([s.label, s.mode, s.alpha.toPrecision(3), s.tests.map((t) => `${t.kind} ${t.alpha.toPrecision(2)}`).join(", "), String(s.maxRequests)]);
    }
    printTable(rows);
    console.log(`Σ α = ${plan.alphaSpent.toPrecision(3)}; β = ${plan.settings.beta} per test\n`);
}

function main(): void {
    const { values } = parseArgs({
        options: {
            runs: { type: "string", default: "2000" },
            rollouts: { type: "string", default: "10000" },
            seed: { type: "string", default: "20240601" },
            steps: { type: "string", default: "10,25,50,100" },
        },
    });
    const runs = Number(values.runs);
    const rollouts = Number(values.rollouts);
    const seed = Number(values.seed);
    const steps = values.steps.split(",").map(Number);
    const settings = DEFAULT_HEALTH_SETTINGS;
    const plan = planHealth(steps, settings);
    const started = Date.now();
    console.log(
        `rollout health judge benchmark: default settings (α = ${settings.alpha} per rollout, β = ${settings.beta}, ` +
            `error tolerance ${pct(settings.errorRateTolerance, 0)} / effect ${pct(settings.errorRateEffect, 0)}, ` +
            `p${settings.latencyQuantile * 100} latency tolerance ${settings.latencyToleranceMs} ms / effect ${settings.latencyEffectMs} ms), seed ${seed}`,
    );
    console.log(
        `scenarios: base error rate uniform on [0, ${pct(BASE_MAX)}] for both revisions, latency ≈ 10 ms median, 20 ms p95, 1% stalls of ~100 ms; ` +
            `bad candidates add error points (half of their errors unattributed) or 50 ms to every request\n`,
    );
    printPlan(plan);

    console.log(`per stage, ${runs} independent runs each (requests = all requests the stage sent, decided or not):`);
    const rows = [["stage", "candidate", "pass", "abort", "inconclusive", "mean req", "p95 req", "fixed n", "fixed abort"]];
    const stages = [plan.darkLaunch, ...plan.stepPlans];
    const firstStep: Record<string, Row> = {};
    for (const stage of stages) {
        const n = fixedSize(stage, settings);
        for (const named of SCENARIOS) {
            const rand = seededUniform(seed + 7919 * stages.indexOf(stage) + 104_729 * SCENARIOS.indexOf(named));
            const row = stageRow(stage, named, runs, rand);
            if (stage === plan.stepPlans[0]) firstStep[named.name] = row;
            let fixedAborts = 0;
            for (let i = 0; i < runs; i++) if (fixedRun(stage, n, named.make(BASE_MAX * rand()), rand)) fixedAborts++;
            rows.push([
                stage.label,
                named.name,
                pct(row.pass),
                pct(row.fail),
                pct(row.inconclusive),
                row.mean.toFixed(0),
                String(row.p95),
                String(n),
                pct(fixedAborts / runs),
            ]);
        }
    }
    printTable(rows);
    console.log(
        "fixed n / fixed abort: the one-sided Wald test of the error rate alone, sized for the same α and power 1 - β at the design point " +
            `(base ${pct(DESIGN_BASE)}), run once at n; it passes whatever it does not reject, and is valid only if nobody looks before n.\n`,
    );

    console.log(`rollouts (dark launch, then ${steps.join(", ")}%; stops at the first stage that does not pass):`);
    const rrows = [["candidate", "rollouts", "aborted", "inconclusive", "completed", "mean req/rollout", "where stopped"]];
    for (const named of SCENARIOS) {
        const n = named.name === "healthy" ? rollouts : Math.min(rollouts, runs);
        const rand = seededUniform(seed + 31 * SCENARIOS.indexOf(named) + 1);
        const outcome = { aborted: 0, inconclusive: 0, completed: 0 };
        const stoppedAt = new Map<string, number>();
        let total = 0;
        for (let i = 0; i < n; i++) {
            const run = simulateRollout(plan, named.make(BASE_MAX * rand()), rand);
            outcome[run.outcome]++;
            total += sum(run.stages.map((s) => s.requests));
            if (run.outcome !== "completed") {
                const label = run.stages[run.stages.length - 1].state.stage.label;
                stoppedAt.set(label, (stoppedAt.get(label) ?? 0) + 1);
            }
        }
        const where = [...stoppedAt.entries()].map(([label, k]) => `${label} ${pct(k / n)}`).join(", ") || "-";
        rrows.push([
            named.name,
            String(n),
            pct(outcome.aborted / n, 2),
            pct(outcome.inconclusive / n, 2),
            pct(outcome.completed / n, 2),
            (total / n).toFixed(0),
            where,
        ]);
        if (named.name === "healthy") {
            const ci = clopperPearson(outcome.aborted, n, 0.1); // the upper end is a one-sided 95% bound
            console.log(
                `false-abort rate per healthy rollout: ${outcome.aborted} of ${n} = ${pct(outcome.aborted / n, 3)} ` +
                    `(one-sided 95% upper bound ${pct(ci.upper, 3)}; α = ${pct(settings.alpha, 0)})`,
            );
        }
    }
    printTable(rrows);
    console.log(
        "(+1 pt is within the side-by-side tolerance, so a step may pass or abort it; alone, its 1 to 1.5% is above the 1% bound, " +
            "so the dark launch and the 100% step may abort it)\n",
    );

    console.log("detection at the first step (10%), judged alone (the dark launch would see +2 pt errors first):");
    for (const name of ["+2 pt errors", "+50 ms"]) {
        const row = firstStep[name];
        if (row !== undefined) console.log(`  ${name}: ${pct(row.fail)} aborted (mean ${row.mean.toFixed(0)}, p95 ${row.p95} requests)`);
    }
    console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

if (require.main === module) main();
