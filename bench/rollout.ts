/**
 * npm run bench:rollout [-- --runs N --stack NAME --namespace NS]
 *
 * A healthy 4-step rollout (0 → 10 → 25 → 50 → 100) on the live e2e harness (source the env file
 * e2e/up.sh prints; the data plane must run: E2E_INGRESS, E2E_DOMAIN): the whole wall time, the time
 * in `pulumi up` against the time judging, and the requests per stage, per run and as medians.
 *
 * The comparison: Flagger judges a canary once per analysis interval (1 minute by default) and
 * advances one step per passed interval, so the same 4 steps take at least 4 intervals (4 minutes)
 * of analysis, however clear the evidence; its deployments and traffic changes come on top. Here a
 * step ends as soon as its sequential tests have decided, so the judgment's share of the time is
 * what this measures against those 240 s.
 *
 * Each run starts from stable v2 and candidate v3 at 0% (one `pulumi up`, not timed), in a scratch
 * copy of the project on its own stack (default bench-rollout, namespace bench-rollout).
 */
import { parseArgs } from "node:util";
import { appVersion, commandProviderFound, rolloutProcess, rolloutProject } from "../e2e/rolloutLive";
import { PulumiStack, requireHarnessEnv, sh } from "../e2e/harness";
import type { RolloutResult } from "../rollout/driver";

const FLAGGER_INTERVAL_S = 60;
const STEPS = [10, 25, 50, 100];

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { runs: { type: "string", default: "1" }, stack: { type: "string", default: "bench-rollout" }, namespace: { type: "string", default: "bench-rollout" } },
    });
    requireHarnessEnv();
    for (const name of ["E2E_INGRESS", "E2E_DOMAIN"]) {
        if (!process.env[name]) throw new Error(`${name} is not set: the benchmark needs the harness's data plane: source the env file e2e/up.sh prints`);
    }
    const runs = Number(values.runs);
    const stackName = values.stack!;
    const ns = values.namespace!;
    const host = `helloworld-python.${ns}.${process.env.E2E_DOMAIN}`;
    const dir = rolloutProject();
    appVersion(dir, "v3");
    const stack = new PulumiStack(dir, stackName);
    // The program refuses a namespace it does not own: one left by an earlier run goes first.
    const gone = sh("kubectl", ["delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=180s"], dir);
    if (gone.code !== 0) throw new Error(`kubectl delete namespace ${ns}: ${gone.out}`);
    stack.init();
    stack.useHarnessRegistry();
    const config = (k: string, v: string) => stack.config(k, v);
    config("namespace", ns);
    config("awaitReady", "true");
    config("stableVersion", "v2");
    config("candidateVersion", "v3");
    stack.ok("config", "set", "--path", "knative-rollout:verify.address", process.env.E2E_INGRESS!);
    stack.ok("config", "set", "--path", "knative-rollout:verify.host", host);
    // The deploy-time gate needs the command provider; without it the updates skip that step.
    const gate = commandProviderFound();
    stack.ok("config", "set", "--path", "knative-rollout:verify.gate", String(gate));
    console.log(`verify.gate ${gate}${gate ? " (every update also measures the split)" : " (no pulumi-resource-command on PATH or in PULUMI_HOME: the updates skip the gate)"}`);
    stack.ok("config", "set-all", "--path", ...[0, ...STEPS].flatMap((p, i) => ["--plaintext", `knative-rollout:allowedRolloutSteps[${i}]=${p}`]));

    const results: { wall: number; r: RolloutResult }[] = [];
    for (let i = 0; i < runs; i++) {
        config("rolloutPercent", "0");
        const prep = stack.ok("up", "--yes", "--skip-preview");
        console.log(`run ${i + 1}/${runs}: reset to 0% (pulumi up, not timed: ${prep.seconds.toFixed(1)} s)`);
        const run = await rolloutProcess(dir, stackName, ["--steps", STEPS.join(",")], undefined, (l) => console.log(`  ${l}`));
        if (run.code !== 0 || run.result === undefined) throw new Error(`the rollout failed (exit ${run.code}): ${run.result?.message ?? run.stderr}`);
        results.push({ wall: run.seconds, r: run.result });
    }

    console.log("");
    console.log(`healthy rollout 0 → ${STEPS.join(" → ")} on the e2e harness, ${runs} run(s):`);
    console.log("");
    const labels = results[0].r.stages.map((s) => s.spec.label);
    console.log(["| run | wall | pulumi up | judging | other |", ...labels.map((l) => ` ${l} requests (s) |`)].join(""));
    console.log(["| --- | --- | --- | --- | --- |", ...labels.map(() => " --- |")].join(""));
    for (const [i, { wall, r }] of results.entries()) {
        const up = r.timings.upMs / 1000;
        const judge = r.timings.judgeMs / 1000;
        const cells = r.stages.map((s) => ` ${s.outcome.requests.completed} (${s.judgeSeconds.toFixed(1)}) |`);
        console.log([`| ${i + 1} | ${wall.toFixed(1)} s | ${up.toFixed(1)} s (${r.timings.ups}) | ${judge.toFixed(1)} s | ${(wall - up - judge).toFixed(1)} s |`, ...cells].join(""));
    }
    const walls = results.map((x) => x.wall);
    const ups = results.map((x) => x.r.timings.upMs / 1000);
    const judges = results.map((x) => x.r.timings.judgeMs / 1000);
    const flagger = STEPS.length * FLAGGER_INTERVAL_S;
    console.log("");
    console.log(`median: wall ${median(walls).toFixed(1)} s = pulumi up ${median(ups).toFixed(1)} s + judging ${median(judges).toFixed(1)} s + other`);
    console.log(
        `Flagger's minimum for the same ${STEPS.length} steps: ${STEPS.length} analysis intervals × ${FLAGGER_INTERVAL_S} s = ${flagger} s of analysis alone. ` +
            `Ours judged in ${median(judges).toFixed(1)} s (${((100 * median(judges)) / flagger).toFixed(0)}% of it); ` +
            `the whole rollout, updates included, took ${median(walls).toFixed(1)} s (${(median(walls) / flagger).toFixed(2)}× Flagger's analysis minimum).`,
    );
}

main().catch((e) => {
    console.error(`bench:rollout: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
});
