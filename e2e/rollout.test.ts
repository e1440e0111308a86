/**
 * The progressive rollout (npm run rollout) on live traffic: the real Pulumi CLI through the
 * Automation API, the real program, Knative's data plane and Traefik started by e2e/up.sh (source
 * its env file; E2E_INGRESS and E2E_DOMAIN must be set: the data plane must run).
 *
 *   1. the Automation API drives the harness's built CLI (PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK)
 *   2. a healthy v3 goes 0 → 10 → 25 → 50 → 100 with every step judged
 *   3. a version failing every request is stopped at the dark launch: users never see it (probed)
 *   4. a version answering 500 to 10% of its requests is stopped and rolled back automatically;
 *      stack file, state and live split are back at the last good value (measured)
 *   5. a version 100 ms slower is stopped (and rolled back)
 *   6. SIGTERM during a step's `pulumi up` leaves a consistent state; running again resumes
 *
 * App versions are copies of apps/v2 with the version string moved on and a fault injected into
 * GET /. In 4 and 5 the dark launch's absolute bounds are loosened (--settings) so that the side by
 * side comparison at the first step is what stops the candidate; with the defaults the dark launch
 * would stop both (a 10% error rate is above its 1%, a 110 ms median above its 100 ms).
 *
 * Its own stack and namespace (E2E_ROLLOUT_STACK, E2E_ROLLOUT_NAMESPACE, default rollout-e2e both),
 * so it runs before or after the scenario suite (stack e2e, namespace revs) on the same harness:
 * the program refuses a namespace it does not own, so a leftover one of an earlier run is deleted
 * first. With the command provider (pulumi-resource-command) on PATH or in PULUMI_HOME, every
 * update runs the deploy-time split gate too (verify.gate); without it, the gate is off.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ALWAYS_500, appVersion, commandProviderFound, EVERY_TENTH_500, rolloutProcess, rolloutProject, SLOWER_100MS } from "./rolloutLive";
import { openLocalWorkspace } from "../rollout/workspace";
import { versionToken } from "../verifier/classify";
import { sample } from "../verifier/sampler";
import { PulumiStack, requireHarnessEnv, sh } from "./harness";

requireHarnessEnv();
for (const name of ["E2E_INGRESS", "E2E_DOMAIN"]) {
    if (!process.env[name]) {
        throw new Error(`${name} is not set: the rollout's live tests need the harness's data plane (E2E_DATAPLANE=1): source the env file e2e/up.sh prints`);
    }
}
const GATE = commandProviderFound();
const INGRESS = process.env.E2E_INGRESS!;
const DOMAIN = process.env.E2E_DOMAIN!;
const STACK = process.env.E2E_ROLLOUT_STACK ?? "rollout-e2e";
const NS = process.env.E2E_ROLLOUT_NAMESPACE ?? "rollout-e2e";
const SVC = "helloworld-python";
const HOST = `${SVC}.${NS}.${DOMAIN}`;
const URL_ = `http://${HOST}/`;

describe("real engine and data plane: the progressive rollout", function () {
    this.timeout(120 * 60 * 1000);
    const dir = rolloutProject();
    const stack = new PulumiStack(dir, STACK);
    const config = (key: string, value: string) => stack.config(key, value);
    const up = (what: string) => {
        const r = stack.ok("up", "--yes", "--skip-preview");
        console.log(`      pulumi up (${what}): ${r.seconds.toFixed(1)} s`);
    };
    const stackFilePercent = () => Number(stack.ok("config", "get", "knative-rollout:rolloutPercent").stdout.trim());
    const outputPercent = () => {
        const traffic = JSON.parse(stack.ok("stack", "output", "traffic", "--json").stdout) as { tag?: string; percent?: number }[];
        return traffic.find((t) => t.tag === "candidate")?.percent;
    };
    const clusterPercent = () => {
        const r = sh("kubectl", ["get", "ksvc", "-n", NS, SVC, "-o", "json"], dir);
        if (r.code !== 0) throw new Error(`kubectl: ${r.out}`);
        return (JSON.parse(r.stdout).spec.traffic as { tag?: string; percent?: number }[]).find((t) => t.tag === "candidate")?.percent ?? 0;
    };
    /** The split users get, measured by the verifier (exit 0: it matches `expect`). */
    const liveSplit = (expectSplit: string) => {
        const r = sh("npm", ["run", "--silent", "verify", "--", "--url", URL_, "--address", INGRESS, "--expect", expectSplit, "--json"], dir);
        const result = JSON.parse(r.stdout);
        return { code: r.code, verdict: result.verdict as string, versions: result.versions };
    };
    /** Stack file, stack output, cluster and the live split, all at `percent`. */
    const expectStandingAt = (percent: number, stable: string, candidate: string) => {
        expect({ file: stackFilePercent(), output: outputPercent(), cluster: clusterPercent() }).to.deep.equal({ file: percent, output: percent, cluster: percent });
        const live = liveSplit(`${stable}=${100 - percent},${candidate}=${percent}`);
        expect(live.verdict, JSON.stringify(live.versions)).to.equal("match");
    };
    const newCandidate = (stable: string, candidate: string) => {
        config("stableVersion", stable);
        config("candidateVersion", candidate);
        config("rolloutPercent", "0");
        up(`stable ${stable}, candidate ${candidate} at 0%`);
        expectStandingAt(0, stable, candidate);
    };
    const looseDarkLaunch = path.join(dir, "loose-dark-launch.json");

    before(() => {
        // A namespace left by an earlier run belongs to a stack that no longer exists.
        const gone = sh("kubectl", ["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=180s"], dir);
        if (gone.code !== 0) throw new Error(`kubectl delete namespace ${NS}: ${gone.out}`);
        stack.init();
        stack.useHarnessRegistry();
        config("namespace", NS);
        config("awaitReady", "true");
        config("readyTimeoutSeconds", "300");
        stack.ok("config", "set", "--path", "knative-rollout:verify.address", INGRESS);
        stack.ok("config", "set", "--path", "knative-rollout:verify.host", HOST);
        stack.ok("config", "set", "--path", "knative-rollout:verify.gate", String(GATE));
        console.log(`      verify.gate ${GATE}: ${GATE ? "every update measures the split too" : "no command provider (pulumi-resource-command): the rollout alone measures the split"}`);
        stack.ok("config", "set-all", "--path", ...[0, 10, 25, 50, 100].flatMap((p, i) => ["--plaintext", `knative-rollout:allowedRolloutSteps[${i}]=${p}`]));
        appVersion(dir, "v3");
        appVersion(dir, "v3-dark", ALWAYS_500);
        appVersion(dir, "v3-err", EVERY_TENTH_500);
        appVersion(dir, "v3-slow", SLOWER_100MS);
        appVersion(dir, "v4");
        fs.writeFileSync(
            looseDarkLaunch,
            JSON.stringify({ absolute: { maxErrorRate: 0.2, detectableErrorRate: 0.3, latency: [{ quantile: 0.5, maxMs: 1000 }, { quantile: 0.95, maxMs: 3000 }] } }),
        );
    });

    it("1. the Automation API drives the harness's CLI: config read and written through the stack file, outputs and state read", async () => {
        config("stableVersion", "v2");
        config("candidateVersion", "v3");
        config("rolloutPercent", "0");
        up("bootstrap: stable v2, candidate v3 at 0%");
        const ws = await openLocalWorkspace(STACK, dir);
        const raw = await ws.readConfig();
        expect(raw).to.include({ stableVersion: "v2", candidateVersion: "v3", rolloutPercent: "0" });
        expect(JSON.parse(raw.verify!)).to.deep.equal({ address: INGRESS, host: HOST, gate: GATE });
        await ws.setPercent(0);
        expect(await ws.getPercent()).to.equal(0);
        expect(fs.readFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), "utf8")).to.match(/knative-rollout:rolloutPercent: "?0"?( |$)/m);
        const outputs = await ws.outputs();
        expect(outputs.candidateRevision).to.equal(`${SVC}-v3`);
        expect(outputs.tagUrls?.candidate).to.equal(`http://candidate-${SVC}.${NS}.${DOMAIN}`);
        const applied = await ws.appliedTraffic();
        expect(applied?.find((t) => t.tag === "candidate")?.percent).to.equal(0);
        expectStandingAt(0, "v2", "v3");
    });

    it("2. a healthy v3 goes 0 → 10 → 25 → 50 → 100, every step judged", async () => {
        const run = await rolloutProcess(dir, STACK, ["--steps", "10,25,50,100", "--summary", path.join(dir, "healthy.md")]);
        expect(run.code, run.stderr + (run.result?.message ?? "")).to.equal(0);
        const stages = run.result!.stages.map((s) => [s.spec.label, s.outcome.verdict]);
        expect(stages).to.deep.equal([
            ["dark launch", "pass"],
            ["step 1 of 4 (10%)", "pass"],
            ["step 2 of 4 (25%)", "pass"],
            ["step 3 of 4 (50%)", "pass"],
            ["step 4 of 4 (100%)", "pass"],
        ]);
        for (const s of run.result!.stages) expect(s.outcome.requests.completed).to.be.greaterThan(0);
        expect(run.result!.agreement!.ok).to.equal(true);
        const t = run.result!.timings;
        console.log(`      wall ${run.seconds.toFixed(1)} s; pulumi up ${(t.upMs / 1000).toFixed(1)} s (${t.ups}); judging ${(t.judgeMs / 1000).toFixed(1)} s`);
        console.log(fs.readFileSync(path.join(dir, "healthy.md"), "utf8").split("\n").filter((l) => l.startsWith("|")).map((l) => `      ${l}`).join("\n"));
        expectStandingAt(100, "v2", "v3");
        expect(fs.readFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), "utf8")).to.match(/knative-rollout:rolloutPercent: "?100"?( |$)/m);
    });

    it("3. a version failing every request is stopped at the dark launch and never receives user traffic (probed)", async () => {
        newCandidate("v3", "v3-dark");
        // A prober plays the users during the whole rollout: no answer may come from v3-dark.
        const stop = new AbortController();
        const seen: Record<string, number> = {};
        const probe = sample({
            target: { url: new URL(URL_), address: { host: INGRESS.split(":")[0], port: Number(INGRESS.split(":")[1]) } },
            maxRequests: 100_000,
            timeLimitMs: 30 * 60 * 1000,
            timeoutMs: 5000,
            concurrency: 1,
            signal: stop.signal,
            onOutcome: (o) => {
                const v = o.kind === "response" ? (o.appVersion ?? versionToken(o.body) ?? `HTTP ${o.status}`) : o.error;
                seen[v] = (seen[v] ?? 0) + 1;
                return false;
            },
        });
        const run = await rolloutProcess(dir, STACK, ["--steps", "10,25,50,100"]);
        stop.abort();
        await probe;
        console.log(`      users saw: ${JSON.stringify(seen)}`);
        expect(run.code, run.result?.message).to.equal(1);
        expect(run.result!.status).to.equal("stopped-at-dark-launch");
        expect(run.result!.stages[0].outcome.verdict).to.equal("fail");
        expect(run.events.some((e) => e.type === "up-start")).to.equal(false);
        expect(seen["v3-dark"] ?? 0).to.equal(0);
        expect(seen.v3).to.be.greaterThan(0);
        expectStandingAt(0, "v3", "v3-dark");
    });

    it("4. a version answering 500 to 10% of its requests is stopped and rolled back; file, state and live split back at the last good value", async () => {
        newCandidate("v3", "v3-err");
        const run = await rolloutProcess(dir, STACK, ["--steps", "10,25,50,100", "--settings", looseDarkLaunch]);
        expect(run.code, run.result?.message).to.equal(1);
        expect(run.result!.status).to.equal("rolled-back");
        const verdicts = run.result!.stages.map((s) => `${s.spec.label}: ${s.outcome.verdict}`);
        expect(verdicts).to.deep.equal(["dark launch: pass", "step 1 of 4 (10%): fail", "rollback check (0%): pass"]);
        expect(run.result!.message).to.match(/error rate, candidate − stable.*ABORT/);
        expect(run.result!.agreement).to.include({ ok: true, expected: 0, stackFile: 0, stateOutput: 0, cluster: 0 });
        expectStandingAt(0, "v3", "v3-err");
    });

    it("5. a version 100 ms slower is stopped and rolled back", async () => {
        newCandidate("v3", "v3-slow");
        const run = await rolloutProcess(dir, STACK, ["--steps", "10,25,50,100", "--settings", looseDarkLaunch]);
        expect(run.code, run.result?.message).to.equal(1);
        const step = run.result!.stages.find((s) => s.spec.kind === "step")!;
        expect(step.outcome.verdict).to.equal("fail");
        expect(step.outcome.reasons.join("\n")).to.match(/latency p50, candidate − stable.*ABORT/);
        expectStandingAt(0, "v3", "v3-slow");
    });

    it("6. SIGTERM during a step's pulumi up: the update finishes, file = state = cluster; running again resumes and completes", async () => {
        newCandidate("v3", "v4");
        // Two steps are enough to stop in the middle: the first step's update is the one interrupted.
        let sent = false;
        const run = await rolloutProcess(dir, STACK, ["--steps", "25,100"], (e, kill) => {
            if (!sent && e.type === "up-start" && e.percent === 25) {
                sent = true;
                kill("SIGTERM");
            }
        });
        expect(run.code, run.result?.message).to.equal(143);
        expect(run.result!.status).to.equal("interrupted");
        const upEnd = run.events.find((e) => e.type === "up-end" && e.percent === 25);
        expect(upEnd && upEnd.type === "up-end" && upEnd.ok, "the running update finished").to.equal(true);
        expect(run.events.some((e) => e.type === "stage-start" && e.spec.percent === 25)).to.equal(false);
        expect(run.result!.message).to.match(/the stack stands at 25%/);
        // With --steps, the command to resume names the steps left.
        expect(run.result!.resumeCommand).to.equal(`npm run rollout -- --stack ${STACK} --steps 100`);
        expectStandingAt(25, "v3", "v4");

        const again = await rolloutProcess(dir, STACK, ["--steps", "100"]);
        expect(again.code, again.result?.message).to.equal(0);
        expect(again.result!.stages.map((s) => `${s.spec.label}: ${s.outcome.verdict}`)).to.deep.equal([
            "dark launch: pass",
            "resume check (25%, as deployed): pass",
            "step 1 of 1 (100%): pass",
        ]);
        expectStandingAt(100, "v3", "v4");
    });
});
