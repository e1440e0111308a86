/**
 * The rollout driver with a fake stack (rollout/fakes.ts): the order of config writes, updates and
 * judgments; rollback after a failed step; interruption and resume; every bad input. Stages are
 * judged by the real judge on synthetic traffic drawn from what the fake cluster has applied, so
 * "stack file, state and live split agree" is measured, not assumed.
 */
import { expect } from "chai";
import { runRollout, type RolloutRequest, type RolloutResult } from "./driver";
import { FakeInterrupts, FakeStack, fakeDeps, RecordingReporter } from "./fakes";
import { DEFAULT_HEALTH_SETTINGS } from "./judge";
import { ROLLOUT_DEFAULTS } from "./plan";

const request = (extra: Partial<RolloutRequest> = {}): RolloutRequest => ({
    stack: "test",
    settings: DEFAULT_HEALTH_SETTINGS,
    timeLimitSeconds: ROLLOUT_DEFAULTS.timeLimitSeconds,
    timeoutMs: ROLLOUT_DEFAULTS.timeoutMs,
    ...extra,
});

/** The three (four) views of where the stack stands. */
function standing(stack: FakeStack) {
    return { file: stack.percent, outputs: stack.outputsPercent, applied: stack.appliedPercent };
}

function expectAgreementAt(r: RolloutResult, stack: FakeStack, percent: number) {
    expect(standing(stack)).to.deep.equal({ file: percent, outputs: percent, applied: percent });
    expect(r.agreement, r.message).to.not.equal(undefined);
    expect(r.agreement!.ok, r.agreement!.problems.join("; ")).to.equal(true);
    expect(r.agreement!).to.include({ expected: percent, stackFile: percent, stateOutput: percent, stateApplied: percent, cluster: percent });
    expect(r.agreement!.liveSplit).to.include({ percent, verdict: "match" });
}

describe("rollout driver (fake workspace)", function () {
    this.timeout(60000);

    it("a healthy candidate: dark launch, then per step config → up → judge, in that order; ends at 100% with all views agreeing", async () => {
        const stack = new FakeStack();
        const reporter = new RecordingReporter();
        const r = await runRollout(request({ steps: [10, 25, 50, 100] }), fakeDeps(stack, { reporter }));
        expect(r.exitCode, r.message).to.equal(0);
        expect(r.status).to.equal("completed");
        expect(stack.log).to.deep.equal([
            "judge dark launch",
            "config 10", "up 10", "judge step 1 of 4 (10%)",
            "config 25", "up 25", "judge step 2 of 4 (25%)",
            "config 50", "up 50", "judge step 3 of 4 (50%)",
            "config 100", "up 100", "judge step 4 of 4 (100%)",
        ]);
        expect(r.stages.map((s) => s.outcome.verdict)).to.deep.equal(["pass", "pass", "pass", "pass", "pass"]);
        expectAgreementAt(r, stack, 100);
        expect(r.lastVerified).to.equal(100);
        expect(r.timings.ups).to.equal(4);
        expect(r.timings.upMs).to.be.greaterThan(0);
        expect(r.timings.judgeMs).to.be.greaterThan(0);
        expect(reporter.records).to.equal(r.stages.reduce((n, s) => n + s.outcome.requests.completed, 0));
        expect(reporter.pulumi).to.include("ServicePatch");
        const types = reporter.events.map((e) => e.type);
        expect(types[0]).to.equal("plan");
        expect(types[types.length - 1]).to.equal("done");
    });

    it("defaults to the stack's allowedRolloutSteps above its current percent", async () => {
        const stack = new FakeStack({ allowedRolloutSteps: "[0, 20, 60, 100]" });
        const r = await runRollout(request(), fakeDeps(stack));
        expect(r.exitCode, r.message).to.equal(0);
        expect(r.plan!.steps).to.deep.equal([20, 60, 100]);
        // Any step allowed: 10, 25, 50, 100.
        const any = new FakeStack({ allowedRolloutSteps: undefined });
        const r2 = await runRollout(request(), fakeDeps(any));
        expect(r2.plan!.steps).to.deep.equal([10, 25, 50, 100]);
    });

    it("spends one α over the whole rollout: the health plan's stages and the split tests sum to --alpha", async () => {
        const stack = new FakeStack();
        const r = await runRollout(request({ steps: [10, 25, 50, 100], settings: { ...DEFAULT_HEALTH_SETTINGS, alpha: 0.05 } }), fakeDeps(stack));
        const a = r.plan!.alpha;
        expect(a.splitTests).to.equal(3); // 10, 25, 50 (100% is a certain check: no false alarm possible)
        expect(a.health + a.splitTests * a.splitEach).to.be.closeTo(0.05, 1e-12);
        const spent = r.plan!.stages.reduce((s, x) => s + (x.alpha ?? 0) + x.splitAlpha, 0);
        expect(spent).to.be.closeTo(0.05, 1e-12);
    });

    it("a step that fails rolls back to the last verified percent, re-measures the split and exits 1", async () => {
        // Healthy at 10%, failing from 25% on (a regression under load).
        const stack = new FakeStack({}, () => "ok", (p) => (p >= 25 ? { errorEvery: 10 } : {}));
        const r = await runRollout(request({ steps: [10, 25, 50, 100] }), fakeDeps(stack));
        expect(r.exitCode, r.message).to.equal(1);
        expect(r.status).to.equal("rolled-back");
        expect(stack.log).to.deep.equal([
            "judge dark launch",
            "config 10", "up 10", "judge step 1 of 4 (10%)",
            "config 25", "up 25", "judge step 2 of 4 (25%)",
            "config 10", "up 10", "judge rollback check (10%)",
        ]);
        expect(r.stages.map((s) => s.outcome.verdict)).to.deep.equal(["pass", "pass", "fail", "pass"]);
        expect(r.message).to.match(/step 2 of 4 \(25%\) failed: error rate, candidate − stable: .*ABORT/);
        expect(r.message).to.match(/rolled back to 10%/);
        expectAgreementAt(r, stack, 10);
    });

    it("a candidate that fails the first step goes back to 0%", async () => {
        const stack = new FakeStack({}, () => "ok", (p) => (p > 0 ? { extraMs: 100 } : {}));
        const r = await runRollout(request({ steps: [10, 25, 50, 100] }), fakeDeps(stack));
        expect(r.exitCode).to.equal(1);
        expect(stack.log.slice(-3)).to.deep.equal(["config 0", "up 0", "judge rollback check (0%)"]);
        expect(r.message).to.match(/latency p50, candidate − stable.*ABORT/);
        expectAgreementAt(r, stack, 0);
    });

    it("a candidate that fails the dark launch never gets user traffic: no config write, no update", async () => {
        const stack = new FakeStack({}, () => "ok", () => ({ errorEvery: 1 }));
        const r = await runRollout(request({ steps: [10, 25, 50, 100] }), fakeDeps(stack));
        expect(r.exitCode).to.equal(1);
        expect(r.status).to.equal("stopped-at-dark-launch");
        expect(stack.log).to.deep.equal(["judge dark launch", "judge final check (0%)"]);
        expect(r.message).to.match(/never received user traffic/);
        expectAgreementAt(r, stack, 0);
    });

    it("a candidate revision that is not Ready fails the dark launch without a request", async () => {
        const stack = new FakeStack();
        stack.candidateReady = false;
        const r = await runRollout(request({ steps: [10] }), fakeDeps(stack));
        expect(r.status).to.equal("stopped-at-dark-launch");
        expect(r.stages[0].outcome.requests.completed).to.equal(0);
        expect(r.message).to.match(/not Ready: Revision revs\/helloworld-python-v3 is failed: ContainerMissing/);
        expect(stack.log).to.not.include("up 10");
    });

    it("an update that fails (not interrupted) is a failed step: roll back", async () => {
        const stack = new FakeStack({}, (p) => (p === 25 ? "fail-after-apply" : "ok"));
        const r = await runRollout(request({ steps: [10, 25, 50] }), fakeDeps(stack));
        expect(r.exitCode).to.equal(1);
        expect(r.message).to.match(/pulumi up to 25% failed:\n\s+error: ReadinessGate/);
        expect(stack.log.slice(-3)).to.deep.equal(["config 10", "up 10", "judge rollback check (10%)"]);
        expectAgreementAt(r, stack, 10);
    });

    it("a rollback whose update fails needs attention (exit 3) and says how to finish it", async () => {
        const stack = new FakeStack({}, (p, call) => (call >= 3 ? "fail-before-apply" : "ok"), (p) => (p >= 25 ? { errorEvery: 5 } : {}));
        const r = await runRollout(request({ steps: [10, 25] }), fakeDeps(stack));
        expect(r.exitCode).to.equal(3);
        expect(r.status).to.equal("needs-attention");
        expect(r.message).to.match(/the rollback to 10% FAILED/);
        expect(r.message).to.match(/the stack file says 10%; the state records 25% as applied/);
        expect(r.message).to.match(/pulumi up --stack test/);
    });

    it("a rollback that does not reach the cluster is caught by the agreement check (exit 3)", async () => {
        const stack = new FakeStack({}, (p, call) => (call === 3 ? "ok-without-apply" : "ok"), (p) => (p >= 25 ? { errorEvery: 5 } : {}));
        const r = await runRollout(request({ steps: [10, 25] }), fakeDeps(stack));
        expect(r.exitCode, r.message).to.equal(3);
        expect(r.agreement!.ok).to.equal(false);
        expect(r.agreement!.problems.join("\n")).to.match(/stack output traffic gives the candidate 25%, expected 10/);
        expect(r.agreement!.problems.join("\n")).to.match(/live split at 10% was judged "mismatch"/);
    });

    it("an undecided step (budget spent) is inconclusive, never a pass: it rolls back", async () => {
        const stack = new FakeStack();
        const r = await runRollout(request({ steps: [10, 25], maxRequests: 200 }), fakeDeps(stack));
        // 200 requests decide the dark launch (~180) but not the 10% step (~2,700).
        expect(r.stages[1].outcome.verdict).to.equal("inconclusive");
        expect(r.exitCode).to.equal(1);
        expect(r.message).to.match(/could not be judged \(inconclusive: never a pass\)/);
        expect(standing(stack).file).to.equal(0);
    });

    describe("interruption and resume", () => {
        it("SIGTERM while a step is judged: stops the sample, leaves file = state at that step, says how to resume (143)", async () => {
            const stack = new FakeStack();
            const interrupts = new FakeInterrupts();
            const deps = fakeDeps(stack, { interrupts, beforeStage: (s) => s.label.startsWith("step 2") && interrupts.fire("SIGTERM") });
            const r = await runRollout(request(), deps);
            expect(r.exitCode).to.equal(143);
            expect(r.status).to.equal("interrupted");
            expect(stack.log).to.deep.equal([
                "judge dark launch", "config 10", "up 10", "judge step 1 of 4 (10%)", "config 25", "up 25", "judge step 2 of 4 (25%)",
            ]);
            expect(standing(stack)).to.deep.equal({ file: 25, outputs: 25, applied: 25 });
            expect(r.message).to.match(/interrupted \(SIGTERM\) at step 2 of 4 \(25%\)/);
            expect(r.message).to.match(/\(applied, not judged yet\); last verified in this run: 10%/);
            expect(r.resumeCommand).to.equal("npm run rollout -- --stack test");
            expect(r.message).to.include("to roll back instead: pulumi config set --stack test --type int knative-rollout:rolloutPercent 10 && pulumi up --stack test");

            // Running the command again resumes from the stack's current percent: 25% is judged as
            // it stands (no update), then 50 and 100.
            stack.log.length = 0;
            const again = await runRollout(request(), fakeDeps(stack));
            expect(again.exitCode, again.message).to.equal(0);
            expect(stack.log).to.deep.equal([
                "judge dark launch",
                "judge resume check (25%, as deployed)",
                "config 50", "up 50", "judge step 1 of 2 (50%)",
                "config 100", "up 100", "judge step 2 of 2 (100%)",
            ]);
            expectAgreementAt(again, stack, 100);
        });

        it("SIGINT during an update: the update finishes, no judgment or further update starts (130)", async () => {
            const stack = new FakeStack();
            const interrupts = new FakeInterrupts();
            const r = await runRollout(request({ steps: [10, 25, 50] }), fakeDeps(stack, { interrupts, duringUp: (p) => p === 25 && interrupts.fire("SIGINT") }));
            expect(r.exitCode).to.equal(130);
            expect(stack.log).to.deep.equal(["judge dark launch", "config 10", "up 10", "judge step 1 of 3 (10%)", "config 25", "up 25"]);
            expect(standing(stack)).to.deep.equal({ file: 25, outputs: 25, applied: 25 });
            expect(r.resumeCommand).to.equal("npm run rollout -- --stack test --steps 50");
        });

        it("an update cancelled before the traffic moved: the stack file goes back to what the state applied", async () => {
            const stack = new FakeStack({}, (p) => (p === 25 ? "fail-before-apply" : "ok"));
            const interrupts = new FakeInterrupts();
            const r = await runRollout(request({ steps: [10, 25, 50] }), fakeDeps(stack, { interrupts, duringUp: (p) => p === 25 && interrupts.fire("SIGINT") }));
            expect(r.exitCode).to.equal(130);
            expect(stack.log.slice(-3)).to.deep.equal(["config 25", "up 25", "config 10"]);
            expect(standing(stack)).to.deep.equal({ file: 10, outputs: 10, applied: 10 });
            expect(r.message).to.match(/the stack stands at 10%.*\(judged healthy in this run\)/);
        });

        it("an update cancelled after the traffic moved: the stack file follows the state (the patch applied)", async () => {
            const stack = new FakeStack({}, (p) => (p === 25 ? "fail-after-apply" : "ok"));
            const interrupts = new FakeInterrupts();
            const r = await runRollout(request({ steps: [10, 25, 50] }), fakeDeps(stack, { interrupts, duringUp: (p) => p === 25 && interrupts.fire("SIGINT") }));
            expect(r.exitCode).to.equal(130);
            expect(stack.percent).to.equal(25);
            expect(stack.appliedPercent).to.equal(25);
            expect(r.message).to.match(/stands at 25%/);
        });

        it("an update cancelled with the cluster changed but the state not: says the cluster differs and how to bring them together", async () => {
            const stack = new FakeStack({}, (p) => (p === 25 ? "fail-before-apply" : "ok"));
            const interrupts = new FakeInterrupts();
            const deps = fakeDeps(stack, { interrupts, duringUp: (p) => p === 25 && interrupts.fire("SIGINT") });
            const cluster = deps.cluster({});
            deps.cluster = () => ({ ...cluster, liveTraffic: async () => stack.traffic(25) });
            const r = await runRollout(request({ steps: [10, 25, 50] }), deps);
            expect(r.exitCode).to.equal(130);
            expect(r.message).to.match(/WARNING: the Service's spec.traffic in the cluster gives the candidate 25%, the state 10%: `pulumi up --stack test`/);
        });

        it("a signal before the dark launch changes nothing", async () => {
            const stack = new FakeStack();
            const interrupts = new FakeInterrupts();
            interrupts.fire("SIGINT");
            const r = await runRollout(request({ steps: [10] }), fakeDeps(stack, { interrupts }));
            expect(r.exitCode).to.equal(130);
            expect(stack.log).to.deep.equal([]);
        });

        it("a signal during the rollback: the rollback's update still finishes and the file agrees with it", async () => {
            const stack = new FakeStack({}, () => "ok", (p) => (p >= 25 ? { errorEvery: 5 } : {}));
            const interrupts = new FakeInterrupts();
            const r = await runRollout(request({ steps: [10, 25] }), fakeDeps(stack, { interrupts, duringUp: (p, call) => call === 3 && interrupts.fire("SIGTERM") }));
            expect(r.exitCode).to.equal(143);
            expect(standing(stack)).to.deep.equal({ file: 10, outputs: 10, applied: 10 });
            expect(r.message).to.match(/in the rollback to 10%/);
        });
    });

    describe("bad input: a clear error before anything changes (exit 2)", () => {
        const cases: [string, Partial<Record<string, string | undefined>>, Partial<RolloutRequest>, RegExp][] = [
            ["steps not increasing", {}, { steps: [10, 50, 25] }, /--steps must increase: 50 then 25/],
            ["a step above 100", {}, { steps: [10, 150] }, /--steps: 150 is outside 0\.\.100/],
            ["a negative step", {}, { steps: [-5, 10] }, /--steps: -5 is outside 0\.\.100/],
            ["a step not in allowedRolloutSteps", {}, { steps: [10, 30, 100] }, /--steps: 30 is not one of this stack's allowedRolloutSteps \(0, 10, 25, 50, 100\)/],
            ["a step not above the current percent", { rolloutPercent: "25" }, { steps: [25, 50] }, /--steps: 25 is not above the stack's current rolloutPercent 25/],
            ["no stableVersion", { stableVersion: undefined, rolloutPercent: "100", allowedRolloutSteps: undefined }, {}, /stableVersion is not set: a rollout moves traffic from a stable revision/],
            ["verify not configured", { verify: undefined }, { steps: [10] }, /verify is not configured.*\n.*pulumi config set --stack test --path 'knative-rollout:verify.address' 192\.0\.2\.10:80/],
            ["a config the program refuses", { registry: "" }, { steps: [10] }, /registry is required/],
            ["a stack that does not wait for readiness", { awaitReady: "false", verify: JSON.stringify({ address: "127.0.0.1:8080", gate: false }) }, { steps: [10] }, /awaitReady is false: every step is judged right after its `pulumi up`/],
            ["a render-only stack", { renderYamlToDirectory: "rendered" }, { steps: [10] }, /renderYamlToDirectory is set \(rendered\)/],
            ["nothing left to roll out", { rolloutPercent: "100" }, {}, /nothing to roll out: stack "test" has rolloutPercent 100/],
        ];
        for (const [what, raw, req, message] of cases) {
            it(what, async () => {
                const stack = new FakeStack(raw as never);
                const r = await runRollout(request(req), fakeDeps(stack));
                expect(r.exitCode).to.equal(2);
                expect(r.status).to.equal("invalid");
                expect(r.message).to.match(message);
                expect(stack.log).to.deep.equal([]);
            });
        }

        it("a stack that does not exist", async () => {
            const stack = new FakeStack();
            stack.exists = false;
            const r = await runRollout(request({ stack: "nope" }), fakeDeps(stack));
            expect(r.exitCode).to.equal(2);
            expect(r.message).to.match(/stack "nope" does not exist on this backend \(pulumi stack ls lists the stacks; pulumi stack init nope creates one\)/);
        });

        it("a stack file not yet applied (a new candidate at a share above 0)", async () => {
            const stack = new FakeStack({ rolloutPercent: "25" });
            stack.file = { ...stack.file, candidateVersion: "v1" };
            const r = await runRollout(request({ steps: [50] }), fakeDeps(stack));
            expect(r.exitCode).to.equal(2);
            expect(r.message).to.match(/the stack file and the deployed stack differ:\n\s+- the deployed candidate is helloworld-python-v3, the stack file names helloworld-python-v1/);
            expect(r.message).to.match(/a new candidate starts at rolloutPercent 0/);
        });

        it("a percent in the stack file that was never applied", async () => {
            const stack = new FakeStack({ rolloutPercent: "10" });
            stack.outputsPercent = stack.appliedPercent = 0;
            const r = await runRollout(request({ steps: [25] }), fakeDeps(stack));
            expect(r.exitCode).to.equal(2);
            expect(r.message).to.match(/the deployed candidate has 0%, the stack file says rolloutPercent 10/);
        });
    });
});
