/**
 * npm run bench:e2e (through e2e/bench.sh, which starts and stops the control plane):
 * the wall time of a traffic-only `pulumi up` of the whole program, next to a bare one-resource
 * Pulumi program that applies the same traffic change to the same Knative Service, on the same
 * API server. Prints figures; asserts nothing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { trafficTable } from "../model";
import { PulumiStack, REPO, requireHarnessEnv, scratchProject } from "./harness";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PERCENTS = [80, 50];

/** The least a Pulumi program can do to move this Service's traffic: one server-side-apply patch. */
function bareProgram(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-bare-"));
    // Compiled the same way as the program (transpile only), so only the work differs.
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bare-traffic\nruntime:\n  name: nodejs\n  options:\n    tsconfig: tsconfig.pulumi.json\n");
    for (const f of ["tsconfig.json", "tsconfig.pulumi.json"]) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bare-traffic", main: "index.ts" }));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
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
        name: "helloworld-python",
        namespace: "revs",
        annotations: { "pulumi.com/patchForce": "true", "pulumi.com/patchFieldManager": "bench-traffic" },
    },
    spec: { traffic: ${JSON.stringify(trafficTable({ stableRevision: "helloworld-python-v1", candidateRevision: "helloworld-python-v2", candidatePercent: 0 }))}
        .map((t: any) => (t.latestRevision ? t : { ...t, percent: t.tag === "candidate" ? percent : 100 - percent })) },
}, { provider });
`,
    );
    return dir;
}

/** Median wall time of `pulumi up` over alternating traffic values. */
function timeUps(stack: PulumiStack, key: string): number[] {
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        stack.config(key, String(PERCENTS[i % PERCENTS.length]));
        times.push(stack.ok("up", "--yes", "--skip-preview").seconds);
    }
    return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");

function main(): void {
    requireHarnessEnv();
    const whole = new PulumiStack(scratchProject(), "e2e");
    whole.init();
    whole.useHarnessRegistry();
    whole.ok("up", "--yes", "--skip-preview"); // bootstrap at 50%, images built
    const wholeTimes = timeUps(whole, "rolloutPercent");

    const bare = new PulumiStack(bareProgram(), "bench", "bare-traffic");
    bare.init();
    bare.config("percent", "50");
    bare.ok("up", "--yes", "--skip-preview");
    const bareTimes = timeUps(bare, "percent");

    const ratio = median(wholeTimes) / median(bareTimes);
    console.log(`traffic-only pulumi up, ${ROUNDS} rounds each (seconds), same API server:`);
    console.log(`  whole program:            median ${median(wholeTimes).toFixed(1)}  (${fmt(wholeTimes)})`);
    console.log(`  bare one-resource patch:  median ${median(bareTimes).toFixed(1)}  (${fmt(bareTimes)})`);
    console.log(`  ratio whole/bare:         ${ratio.toFixed(2)}x (target: at most 1.5x)`);
}

main();
