/**
 * The command: its flags and usage errors, and a whole run on a fake stack with every output the
 * command writes (JSON lines, the Markdown summary, $GITHUB_STEP_SUMMARY, the samples file), then
 * the samples re-judged by `npm run verify -- --replay`.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { main as verifyMain } from "../verifier/cli";
import { main, parseCli, USAGE } from "./cli";
import type { RolloutEvent } from "./driver";
import { FakeStack, fakeDeps } from "./fakes";
import { runRollout } from "./driver";
import { CommandReporter } from "./report";
import { DEFAULT_HEALTH_SETTINGS } from "./judge";

function capture() {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (d) => (text += d));
    return { stream, text: () => text };
}

async function run(args: string[], stack: FakeStack, env: NodeJS.ProcessEnv = {}) {
    const out = capture();
    const err = capture();
    const base = fakeDeps(stack);
    const code = await main(args, { stdout: out.stream, stderr: err.stream, env, deps: { openWorkspace: base.openWorkspace, cluster: base.cluster, runStage: base.runStage, versionExists: base.versionExists } });
    return { code, out: out.text(), err: err.text() };
}

describe("rollout command", function () {
    this.timeout(60000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-cli-test-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("parses its flags", () => {
        const settings = path.join(dir, "settings.json");
        fs.writeFileSync(settings, JSON.stringify({ latencyToleranceMs: 30, latencyEffectMs: 60, absolute: { maxErrorRate: 0.02, detectableErrorRate: 0.04 } }));
        const p = parseCli([
            "--stack", "dev", "--steps", "10, 25,50,100", "--alpha", "0.01", "--settings", settings, "--max-requests", "5000",
            "--time-limit", "60", "--timeout-ms", "2000", "--concurrency", "4", "--json", "--summary", "s.md", "--samples", "x.jsonl", "--log", "p.log",
        ]);
        if (p.help) throw new Error("help");
        expect(p.request).to.deep.include({ stack: "dev", steps: [10, 25, 50, 100], maxRequests: 5000, timeLimitSeconds: 60, timeoutMs: 2000, concurrency: 4 });
        expect(p.request.settings).to.deep.include({ alpha: 0.01, latencyToleranceMs: 30, latencyEffectMs: 60 });
        expect(p.request.settings.absolute).to.deep.equal({ ...DEFAULT_HEALTH_SETTINGS.absolute, maxErrorRate: 0.02, detectableErrorRate: 0.04 });
        expect(p).to.include({ json: true, summary: "s.md", samples: "x.jsonl", log: "p.log" });
        expect(p).not.to.have.property("policyPack");
        const guarded = parseCli(["--stack", "prod", "--policy-pack", "policy"]);
        if (guarded.help) throw new Error("help");
        expect(guarded.policyPack).to.equal(path.resolve("policy"));
        expect(parseCli(["--help"])).to.deep.equal({ help: true });
        expect(USAGE).to.match(/--stack NAME/).and.match(/exit status/);
    });

    const bad: [string, string[], RegExp][] = [
        ["no --stack", [], /--stack is required/],
        ["an unknown flag", ["--stack", "dev", "--bogus"], /Unknown option '--bogus'/],
        ["steps that are not numbers", ["--stack", "dev", "--steps", "10,half"], /--steps: "half" is not a whole number/],
        ["an α out of range", ["--stack", "dev", "--alpha", "0.7"], /--alpha must be a number/],
        ["a zero concurrency", ["--stack", "dev", "--concurrency", "0"], /--concurrency must be a whole number from 1 to 1024/],
        ["a settings file that does not exist", ["--stack", "dev", "--settings", "/nonexistent/s.json"], /--settings \/nonexistent\/s.json: ENOENT/],
    ];
    for (const [what, args, message] of bad) {
        it(`rejects ${what} (exit 2, nothing runs)`, async () => {
            const stack = new FakeStack();
            const r = await run(args, stack);
            expect(r.code).to.equal(2);
            expect(r.err).to.match(message);
            expect(stack.log).to.deep.equal([]);
        });
    }

    it("rejects settings the judge refuses, naming the setting", async () => {
        const settings = path.join(dir, "bad.json");
        fs.writeFileSync(settings, JSON.stringify({ latencyEffectMs: 10 }));
        const r = await run(["--stack", "dev", "--settings", settings], new FakeStack());
        expect(r.code).to.equal(2);
        expect(r.err).to.match(/latencyEffectMs must be above latencyToleranceMs \(25\), got 10/);
        fs.writeFileSync(settings, JSON.stringify({ latencyTolerance: 10 }));
        expect((await run(["--stack", "dev", "--settings", settings], new FakeStack())).err).to.match(/unknown setting "latencyTolerance"/);
    });

    it("a bad stack config is reported on stderr with exit 2 and writes no files", async () => {
        const summary = path.join(dir, "none.md");
        const samples = path.join(dir, "none.jsonl");
        const r = await run(["--stack", "dev", "--summary", summary, "--samples", samples], new FakeStack({ verify: undefined }));
        expect(r.code).to.equal(2);
        expect(r.err).to.match(/verify is not configured/);
        expect(fs.existsSync(summary)).to.equal(false);
        expect(fs.existsSync(samples)).to.equal(false);
    });

    it("--json: one JSON event per line; the summary goes to --summary and $GITHUB_STEP_SUMMARY; the samples replay to the same verdicts", async () => {
        const stack = new FakeStack({}, () => "ok", (p) => (p >= 50 ? { errorEvery: 10 } : {}));
        const summary = path.join(dir, "summary.md");
        const stepSummary = path.join(dir, "step-summary.md");
        fs.writeFileSync(stepSummary, "# earlier step\n");
        const samples = path.join(dir, "run.samples.jsonl");
        const r = await run(["--stack", "dev", "--json", "--summary", summary, "--samples", samples], stack, { GITHUB_STEP_SUMMARY: stepSummary });
        expect(r.code).to.equal(1);
        const events = r.out.trim().split("\n").map((l) => JSON.parse(l) as RolloutEvent);
        expect(events[0].type).to.equal("plan");
        const done = events[events.length - 1];
        if (done.type !== "done") throw new Error("no done event");
        expect(done.result.status).to.equal("rolled-back");
        expect(events.filter((e) => e.type === "stage-end").map((e) => (e.type === "stage-end" ? `${e.report.spec.label}: ${e.report.outcome.verdict}` : ""))).to.deep.equal([
            "dark launch: pass",
            "step 1 of 4 (10%): pass",
            "step 2 of 4 (25%): pass",
            "step 3 of 4 (50%): fail",
            "rollback check (25%): pass",
        ]);
        expect(r.err).to.include(`samples: ${samples}`);

        const md = fs.readFileSync(summary, "utf8");
        expect(md).to.match(/^## Rollout of v3 \(stable v2\) on stack `dev`: rolled back ❌/);
        expect(md).to.include("| stage | % | requests | candidate share [interval] | errors stable | errors candidate | p50 / p95 stable | p50 / p95 candidate | decision | time |");
        expect(md.split("\n").filter((l) => l.startsWith("| step"))).to.have.length(3);
        expect(md).to.match(/\| step 3 of 4 \(50%\) \| 50 \| [\d,]+ \| \d+\.\d% \[[\d.]+, [\d.]+\] \| 0\.00% .*\| ❌ fail \| up /);
        expect(md).to.match(/Agreement at 25%: stack file 25%, Pulumi state 25% \(output\) \/ 25% \(applied\), cluster 25%, live split match at 25%: \*\*agree\*\*/);
        const stepMd = fs.readFileSync(stepSummary, "utf8");
        expect(stepMd.startsWith("# earlier step\n## Rollout")).to.equal(true);

        // Replayed with the recorded settings: the recorded verdicts.
        const replay = await verify(["--replay", samples]);
        expect(replay.code).to.equal(1);
        const verdicts = [...replay.out.matchAll(/recorded (\w+), replayed (\w+)/g)].map((m) => [m[1], m[2].toLowerCase()]);
        expect(verdicts).to.deep.equal([["pass", "pass"], ["pass", "pass"], ["pass", "pass"], ["fail", "fail"], ["pass", "pass"]]);
        // One stage, as JSON.
        const one = await verify(["--replay", samples, "--stage", "3", "--json"]);
        expect(JSON.parse(one.out).stages.map((s: { outcome: { verdict: string } }) => s.outcome.verdict)).to.deep.equal(["fail"]);
        // Other settings: a tolerance above the candidate's 10% errors lets step 3 pass, or leaves it undecided on the recorded sample.
        const lax = path.join(dir, "lax.json");
        fs.writeFileSync(lax, JSON.stringify({ errorRateTolerance: 0.15, errorRateEffect: 0.3 }));
        const again = await verify(["--replay", samples, "--stage", "3", "--settings", lax]);
        expect(again.out).to.match(/recorded fail, replayed (PASS|INCONCLUSIVE)/);
        expect(again.out).to.include("with other settings");
    });

    it("verify --replay: usage errors", async () => {
        expect((await verify(["--replay", "/nonexistent.jsonl"])).err).to.match(/ENOENT/);
        expect((await verify(["--replay", "x.jsonl", "--url", "http://a.test/"])).err).to.match(/--url does not apply/);
        expect((await verify(["--url", "http://a.test/", "--expect", "v1=100", "--stage", "1"])).err).to.match(/--stage goes with --replay FILE/);
        const notSamples = path.join(dir, "not.jsonl");
        fs.writeFileSync(notSamples, '{"type":"request","stage":0,"t":1,"latencyMs":1}\n');
        expect((await verify(["--replay", notSamples])).err).to.match(/line 1: a request of stage 0 before its stage line/);
    });

    it("prints a live view on a terminal: the plan, each stage, the result and where the files are", async () => {
        const stack = new FakeStack();
        const samples = path.join(dir, "tty.samples.jsonl");
        const r = await run(["--stack", "dev", "--steps", "10,100", "--samples", samples], stack);
        expect(r.code).to.equal(0);
        expect(r.out).to.match(/rollout of v3 \(stable v2\) on stack dev: 0% → 10% → 100%/);
        expect(r.out).to.match(/false-abort budget α = 0\.05 for the whole rollout/);
        expect(r.out).to.match(/step 1 of 2 \(10%\): PASS after [\d,]+ requests/);
        expect(r.out).to.match(/pulumi up → 100%: done/);
        expect(r.out).to.match(/rollout of v3 completed: 0% → 10 → 100%/);
        expect(r.out).to.match(/time: .* pulumi up .* \(2 updates\), judging/);
        expect(r.out).to.include(`re-judge: npm run verify -- --replay ${samples}`);
        expect(fs.readFileSync(samples.replace(/\.samples\.jsonl$/, ".pulumi.log"), "utf8")).to.include("ServicePatch");
    });
});

describe("rollout live view on a terminal", () => {
    it("redraws a status block in place (step, requests, split, per-revision figures, tests) and prints events above it", async () => {
        let text = "";
        const out = Object.assign(new PassThrough(), { isTTY: true, columns: 160 });
        out.on("data", (d) => (text += d));
        const reporter = new CommandReporter({ out, json: false });
        const stack = new FakeStack();
        const deps = fakeDeps(stack, { reporter });
        // Progress after every request of the synthetic stages would be a lot: the fake emits none,
        // so feed the reporter one snapshot by hand through a stage of the real judge.
        const r = await runRollout({ stack: "dev", steps: [10], settings: DEFAULT_HEALTH_SETTINGS, timeLimitSeconds: 60, timeoutMs: 1000 }, {
            ...deps,
            runStage: async (o) => {
                const outcome = await fakeDeps(stack).runStage(o);
                const { snapshot, splitPlanOf, initialStage } = await import("./stage");
                o.onProgress?.(snapshot(o.spec, splitPlanOf(o.spec), initialStage(o.spec)));
                return outcome;
            },
        });
        await reporter.close();
        expect(r.exitCode).to.equal(0);
        expect(text).to.include("\x1b[");
        expect(text).to.match(/step 1 of 1 \(10%\) · 0 of at most [\d,]+ requests · [\d.]+ s · decision: continue/);
        expect(text).to.match(/split {6}v2 0\.0% \[0\.0, 100\.0\] \(expected 90\) · v3 0\.0%/);
        expect(text).to.match(/candidate +no answers/);
        expect(text).to.match(/· error rate, candidate − stable: abort above 1\.00%, pass below 2\.00%: undecided/);
        expect(text).to.match(/step 1 of 1 \(10%\): PASS after/);
    });
});

async function verify(args: string[]) {
    let out = "";
    let err = "";
    const code = await verifyMain(args, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
}
