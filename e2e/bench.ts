/**
 * npm run bench:e2e (through e2e/bench.sh, which starts and stops the cluster): figures, not a test.
 *
 * A traffic-only `pulumi up` of the whole program next to a bare one-resource Pulumi program that
 * applies the same traffic change to the same Knative Service, on the same cluster, in turns
 * (whole, bare, whole, bare, ...) so that a machine whose speed drifts affects both alike:
 *   - as shipped: the program as `pulumi up` runs it (Pulumi.yaml refreshes before every run) and
 *     the bare program as written (no refresh);
 *   - without refresh: both with --refresh=false, the program's own overhead.
 * Then where the program's time goes, from the engine's event stream (`--event-log` on a FIFO,
 * each event timed as it arrives): start-up before the first event, the refresh, the program's
 * own start (language host, TypeScript, packages) up to its first resource, and each step.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { trafficTable } from "../model";
import { PulumiStack, REPO, requireHarnessEnv, scratchProject } from "./harness";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PERCENTS = [80, 50];
const NS = "revs";
const SVC = "helloworld-python";

/** The least a Pulumi program can do to move this Service's traffic: one server-side-apply patch. */
function bareProgram(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-bare-"));
    // Compiled the same way as the program (transpile only), so only the work differs.
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bare-traffic\nruntime:\n  name: nodejs\n  options:\n    tsconfig: tsconfig.pulumi.json\n");
    for (const f of ["tsconfig.json", "tsconfig.pulumi.json"]) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bare-traffic", main: "index.ts" }));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    const table = trafficTable({ stableRevision: `${SVC}-v1`, candidateRevision: `${SVC}-v2`, candidatePercent: 0 });
    fs.writeFileSync(
        path.join(dir, "index.ts"),
        `import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
const percent = new pulumi.Config().requireNumber("percent");
const provider = new k8s.Provider("k8s", { enableServerSideApply: true });
new k8s.apiextensions.CustomResourcePatch("traffic", {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: {
        name: "${SVC}",
        namespace: "${NS}",
        annotations: { "pulumi.com/patchForce": "true", "pulumi.com/patchFieldManager": "bench-traffic" },
    },
    spec: { traffic: ${JSON.stringify(table)}
        .map((t: any) => (t.latestRevision ? t : { ...t, percent: t.tag === "candidate" ? percent : 100 - percent })) },
}, { provider });
`,
    );
    return dir;
}

interface Timed {
    seconds: number;
    /** Event kind and what it names, with milliseconds since the command started. */
    events: { ms: number; kind: string; op?: string; type?: string }[];
}

/** `pulumi up` with its engine events read from a FIFO as they happen. */
async function upWithEvents(stack: PulumiStack, extra: string[]): Promise<Timed> {
    const fifo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-events-")), "events");
    if (spawnSync("mkfifo", [fifo]).status !== 0) throw new Error("mkfifo failed");
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.stack, "--event-log", fifo, ...extra], {
        cwd: stack.dir,
        env: { ...process.env, PULUMI_DEBUG_COMMANDS: "true" },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const events: Timed["events"] = [];
    const lines = readline.createInterface({ input: fs.createReadStream(fifo) });
    lines.on("line", (line) => {
        const at = ms();
        const e = JSON.parse(line);
        const kind = Object.keys(e).find((k) => k !== "sequence" && k !== "timestamp")!;
        const meta = e[kind]?.metadata;
        events.push({ ms: at, kind, op: meta?.op, type: meta?.type });
    });
    // Both promises first: the log may close before the process exits, or after.
    const closed = new Promise((resolve) => lines.on("close", resolve));
    const exited = new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
    const code = await exited;
    await closed;
    if (code !== 0) throw new Error(`pulumi up failed (${code}):\n${stderr}`);
    return { seconds: ms() / 1000, events };
}

/** Phases of one up, in seconds, from its events. */
function phases(t: Timed): Record<string, number> {
    const first = t.events[0]?.ms ?? 0;
    const refresh = t.events.filter((e) => e.op === "refresh");
    const steps = t.events.filter((e) => (e.kind === "resourcePreEvent" || e.kind === "resOutputsEvent") && e.op !== "refresh");
    const programStart = steps.find((e) => e.type === "pulumi:pulumi:Stack")?.ms ?? first;
    const firstResource = steps.find((e) => e.type !== "pulumi:pulumi:Stack")?.ms ?? programStart;
    const stepOf = (type: string) => {
        const pre = steps.find((e) => e.kind === "resourcePreEvent" && e.type === type);
        const out = steps.find((e) => e.kind === "resOutputsEvent" && e.type === type);
        return pre && out ? (out.ms - pre.ms) / 1000 : 0;
    };
    const last = t.events[t.events.length - 1]?.ms ?? t.seconds * 1000;
    // How long the refresh's read of each kind took (the refresh reads every resource, several at once).
    const readOf = (type: string) => {
        const pre = refresh.find((e) => e.kind === "resourcePreEvent" && e.type === type);
        const out = [...refresh].reverse().find((e) => e.kind === "resOutputsEvent" && e.type === type);
        return pre && out ? (out.ms - pre.ms) / 1000 : 0;
    };
    return {
        "CLI start to its first event": first / 1000,
        refresh: refresh.length > 0 ? (refresh[refresh.length - 1].ms - refresh[0].ms) / 1000 : 0,
        "  of which reading the images (docker-build, its registry)": readOf("docker-build:index:Image"),
        "  of which reading the Knative Service (kubernetes)": readOf("kubernetes:serving.knative.dev/v1:Service"),
        "program start (language host, TypeScript, packages) to its first resource": (firstResource - programStart) / 1000,
        "ServicePatch update (the traffic)": stepOf("kubernetes:serving.knative.dev/v1:ServicePatch"),
        "ReadinessGate update (checks and waits)": stepOf("pulumi-nodejs:dynamic/knative-rollout:ReadinessGate"),
        "first resource to the last event": (last - firstResource) / 1000,
        "last event to exit": t.seconds - last / 1000,
    };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");

async function main(): Promise<void> {
    requireHarnessEnv();
    const whole = new PulumiStack(scratchProject(), "e2e");
    whole.init();
    whole.useHarnessRegistry();
    whole.config("stableVersion", "v1");
    whole.config("candidateVersion", "v2");
    whole.config("rolloutPercent", "50");
    whole.ok("up", "--yes", "--skip-preview"); // bootstrap at 50%, images built, both Ready

    const bare = new PulumiStack(bareProgram(), "bench", "bare-traffic");
    bare.init();
    bare.config("percent", "50");
    bare.ok("up", "--yes", "--skip-preview");

    const variants = [
        { name: "as shipped (the program refreshes first; the bare program does not)", whole: [] as string[], bare: [] as string[] },
        { name: "without refresh (both --refresh=false)", whole: ["--refresh=false"], bare: ["--refresh=false"] },
    ];
    const results = variants.map(() => ({ whole: [] as Timed[], bare: [] as Timed[] }));
    for (let i = 0; i < ROUNDS; i++) {
        for (const [v, variant] of variants.entries()) {
            // Every up moves the traffic: the percent alternates over all ups, not per round.
            const percent = String(PERCENTS[(i * variants.length + v) % PERCENTS.length]);
            whole.config("rolloutPercent", percent);
            results[v].whole.push(await upWithEvents(whole, variant.whole));
            bare.config("percent", percent);
            results[v].bare.push(await upWithEvents(bare, variant.bare));
            // Both programs leave the same split: the next round moves it again for each.
        }
    }

    console.log(`traffic-only pulumi up, ${ROUNDS} rounds in turns (seconds), same cluster:`);
    for (const [v, variant] of variants.entries()) {
        const w = results[v].whole.map((t) => t.seconds);
        const b = results[v].bare.map((t) => t.seconds);
        const ratios = w.map((x, i) => x / b[i]);
        console.log(`  ${variant.name}:`);
        console.log(`    whole program:            median ${median(w).toFixed(1)}  (${fmt(w)})`);
        console.log(`    bare one-resource patch:  median ${median(b).toFixed(1)}  (${fmt(b)})`);
        console.log(`    ratio whole/bare, pair by pair: median ${median(ratios).toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(", ")}); target at most 1.5x`);
    }
    for (const [v, variant] of variants.entries()) {
        console.log(`  where the whole program's time goes, ${variant.name} (median seconds):`);
        const all = results[v].whole.map(phases);
        for (const key of Object.keys(all[0])) console.log(`    ${median(all.map((p) => p[key])).toFixed(2).padStart(6)}  ${key}`);
        const bareAll = results[v].bare.map(phases);
        console.log(`    (bare program: ${median(bareAll.map((p) => p["CLI start to its first event"])).toFixed(2)} s to its first event, ` +
            `${median(bareAll.map((p) => p["program start (language host, TypeScript, packages) to its first resource"])).toFixed(2)} s program start, ` +
            `${median(bareAll.map((p) => p.refresh)).toFixed(2)} s refresh)`);
    }
}

// A promise nobody settles would let Node exit quietly with status 0: say so instead.
const done = main();
const keepAlive = setInterval(() => undefined, 1 << 30);
done.then(
    () => clearInterval(keepAlive),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
