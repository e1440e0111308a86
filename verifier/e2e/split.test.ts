/**
 * The verifier end to end: real app processes behind a real nginx splitting by request id.
 * Run by verifier/e2e/test.sh (not part of the unit suite: it needs nginx and the venv).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { evaluate, makeAppsDir, one, TYPES } from "../../tests/support/program";
import { verifySplit, VerifyResult } from "../verify";
import { Harness, PORTS, ROOT, Split, waitReady } from "./harness";

const SPLITS = {
    even: { port: 22021, weights: { v1: 50, v2: 50 } },
    ninety: { port: 22022, weights: { v1: 90, v2: 10 } },
    all: { port: 22023, weights: { v1: 100 } },
    seventy: { port: 22024, weights: { v1: 70, v2: 30 } },
    deadCandidate: { port: 22025, weights: { v1: 50, dead: 50 } },
} satisfies Record<string, Split>;

// A budget well above what the tests need, bounded all the same.
const BUDGET = { maxRequests: 3000, timeLimitSeconds: 60, timeoutMs: 5000, concurrency: 8 };

/** Runs a process to completion (killed after 90 s), capturing its output and exit status. */
function run(file: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const kill = setTimeout(() => child.kill("SIGKILL"), 90000);
        child.on("error", reject);
        child.on("exit", (status) => {
            clearTimeout(kill);
            resolve({ status, stdout, stderr });
        });
    });
}

/** Runs a shell command line as @pulumi/command's local.Command does (`/bin/sh -c` in its dir). */
const shell = (line: string, dir: string) => run("/bin/sh", ["-c", line], dir);

/** Runs the CLI from source, as `npm run verify` does. */
const cli = (args: string[]) =>
    run(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(ROOT, "verifier", "cli.ts"), ...args], ROOT);

function summary(r: VerifyResult): string {
    return `${r.verdict}: ${r.reason}; ${r.versions.map((v) => `${v.version} ${v.count}`).join(", ")}; errors ${r.errors.total}`;
}

describe("verifier end to end (gunicorn apps behind nginx split_clients, loopback)", function () {
    this.timeout(120000);
    const harness = new Harness();

    before(async () => {
        harness.startApp("v1");
        harness.startApp("v2");
        harness.startNginx(Object.values(SPLITS));
        await waitReady(PORTS.v1, "gunicorn v1", harness, "gunicorn-v1");
        await waitReady(PORTS.v2, "gunicorn v2", harness, "gunicorn-v2");
        await waitReady(SPLITS.all.port, "nginx", harness, "nginx");
    });
    after(async () => {
        await harness.stop();
    });

    it("the apps answer with their version (the harness works)", async () => {
        const r = await verifySplit({ url: `http://127.0.0.1:${PORTS.v2}/`, expect: { v2: 100 }, ...BUDGET });
        expect(r.verdict, summary(r)).to.equal("match");
        expect(r.versions[0].count).to.be.greaterThan(0);
    });

    it("accepts the true split at 50/50", async () => {
        const r = await verifySplit({ url: `http://127.0.0.1:${SPLITS.even.port}/`, expect: { v1: 50, v2: 50 }, ...BUDGET });
        expect(r.verdict, summary(r)).to.equal("match");
        expect(r.method).to.equal("sequential");
        expect(r.errors.total).to.equal(0);
    });

    it("accepts the true split at 90/10, through --address with a Host header (CLI, exit 0, JSON)", async () => {
        const out = await cli([
            "--url", "http://helloworld-python.revs.example.test/",
            "--address", `127.0.0.1:${SPLITS.ninety.port}`,
            "--expect", "v1=90,v2=10",
            "--max-requests", String(BUDGET.maxRequests),
            "--time-limit", String(BUDGET.timeLimitSeconds),
            "--json",
        ]);
        const r = JSON.parse(out.stdout) as VerifyResult;
        expect(r.verdict, `${out.stdout}${out.stderr}`).to.equal("match");
        expect(out.status).to.equal(0);
        expect(r.host).to.equal("helloworld-python.revs.example.test");
        expect(r.versions.find((v) => v.version === "v2")?.count).to.be.greaterThan(0);
    });

    it("accepts 100/0 and sees no answer from the 0% version", async () => {
        const r = await verifySplit({ url: `http://127.0.0.1:${SPLITS.all.port}/`, expect: { v1: 100, v2: 0 }, ...BUDGET });
        expect(r.verdict, summary(r)).to.equal("match");
        expect(r.versions.find((v) => v.version === "v2")?.count).to.equal(0);
    });

    it("rejects a wrong expectation: nginx at 70/30, expected 50/50 (CLI, exit 1)", async () => {
        const out = await cli(["--url", `http://127.0.0.1:${SPLITS.seventy.port}/`, "--expect", "v1=50,v2=50", "--max-requests", "3000"]);
        expect(out.stdout, out.stderr).to.match(/decision: MISMATCH/);
        expect(out.status).to.equal(1);
    });

    it("rejects a 100/0 expectation when the 0% version answers at all (nginx at 50/50)", async () => {
        // Not against 90/10: a 10-point deviation is what the check is sized for (29 answers,
        // power 0.95), so it would pass by chance 0.9^29 = 4.7% of the time (seen in CI). At
        // 50/50 that chance is 0.5^29, about 2e-9.
        const r = await verifySplit({ url: `http://127.0.0.1:${SPLITS.even.port}/`, expect: { v1: 100, v2: 0 }, ...BUDGET });
        expect(r.verdict, summary(r)).to.equal("mismatch");
    });

    it("reports a dead backend as errors (exit 2), not as a wrong split", async () => {
        const out = await cli(["--url", `http://127.0.0.1:${SPLITS.deadCandidate.port}/`, "--expect", "v1=50,v2=50", "--json"]);
        const r = JSON.parse(out.stdout) as VerifyResult;
        expect(r.verdict, out.stdout).to.equal("error");
        expect(out.status).to.equal(2);
        expect(r.errors.serverError).to.be.greaterThan(0);
        expect(r.reason).to.match(/too many errors/);
    });

    it("reports an unreachable ingress as a connectivity failure (exit 2)", async () => {
        const out = await cli(["--url", `http://127.0.0.1:${PORTS.dead}/`, "--expect", "v1=50,v2=50"]);
        expect(out.status, out.stdout + out.stderr).to.equal(2);
        expect(out.stdout).to.match(/ECONNREFUSED/);
    });

    // The gate as the program registers it: the program evaluated under Pulumi's mocks, and the
    // command line it hands @pulumi/command run the way that provider runs it. The provider's
    // plugin cannot be built here, so this is where the registered command meets a real split.
    for (const [rolloutPercent, status] of [["10", 0], ["50", 1]] as const) {
        it(`the program's registered verifier command exits ${status} at rolloutPercent ${rolloutPercent} (nginx at 90/10)`, async () => {
            const { resources } = await evaluate({
                stableVersion: "v1",
                candidateVersion: "v2",
                rolloutPercent,
                registry: "127.0.0.1:5000",
                verify: JSON.stringify({ url: "http://helloworld-python.revs.example.test/", address: `127.0.0.1:${SPLITS.ninety.port}`, maxRequests: 3000, timeLimitSeconds: 60 }),
            }, makeAppsDir(["v1", "v2"]));
            const command = one(resources, TYPES.verifier).inputs;
            const result = await shell(command.create, command.dir);
            const out = result.stdout + result.stderr;
            console.log(out.trimEnd().split("\n").map((l) => `      | ${l}`).join("\n"));
            expect(out).to.match(status === 0 ? /decision: MATCH/ : /decision: MISMATCH/);
            expect(result.status, out).to.equal(status);
        });
    }
});
