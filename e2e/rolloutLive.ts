/**
 * The rollout on a live harness, for the e2e test (e2e/rollout.test.ts) and the benchmark
 * (bench/rollout.ts): a scratch copy of the project with the command in it, app versions with an
 * injected fault, and the command run as a child process whose JSON events are read as they come.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RolloutEvent, RolloutResult } from "../rollout/driver";
import { makeAppVersion, REPO, scratchProject } from "./harness";

/** A scratch copy of the project, the rollout command in it (scratchProject copies rollout/). */
export const rolloutProject = scratchProject;

const HELLO_RETURN = `        return _plain(f"Hello {target} : {VERSION} !\\n", 200)`;

/** apps/<to>: apps/v2 naming itself `to`, with `fault` (Python lines, indented 8) run first in GET /. */
export function appVersion(dir: string, to: string, fault = ""): void {
    makeAppVersion(dir, "v2", to, (source, file) => {
        if (path.basename(file) !== "app.py") return source;
        if (!source.includes(HELLO_RETURN)) throw new Error(`apps/v2/app.py changed: no line ${HELLO_RETURN.trim()}`);
        return source
            .replace(HELLO_RETURN, `${fault}${HELLO_RETURN}`)
            .replace("import os\n", "import itertools\nimport os\nimport time\n\n_requests = itertools.count()\n");
    });
}

/** 500 on every 10th request, naming its version in x-app-version (the header the rollout honours). */
export const EVERY_TENTH_500 = `        if next(_requests) % 10 == 9:\n            return Response("500 injected\\n", status=500, mimetype="text/plain", headers={"x-app-version": VERSION})\n`;
export const ALWAYS_500 = `        return Response("500 injected\\n", status=500, mimetype="text/plain")\n`;
export const SLOWER_100MS = `        time.sleep(0.1)\n`;

export interface RolloutRun {
    code: number;
    events: RolloutEvent[];
    result?: RolloutResult;
    stderr: string;
    seconds: number;
}

/**
 * Runs `npm run rollout -- --stack STACK --json ARGS` in `dir` as its own node process (so a signal
 * reaches it, not npm), logging each event but progress; `onEvent` may signal it.
 */
export function rolloutProcess(
    dir: string,
    stack: string,
    args: string[],
    onEvent?: (e: RolloutEvent, kill: (s: NodeJS.Signals) => void) => void,
    log: (line: string) => void = (l) => console.log(`      [rollout] ${l}`),
): Promise<RolloutRun> {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(REPO, "node_modules", "ts-node", "dist", "bin.js"), "--transpile-only", "rollout/cli.ts", "--stack", stack, "--json", ...args], {
        cwd: dir,
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const events: RolloutEvent[] = [];
    let buffer = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line.trim() === "") continue;
            const e = JSON.parse(line) as RolloutEvent;
            events.push(e);
            if (e.type !== "progress") log(summarize(e));
            onEvent?.(e, (s) => child.kill(s));
        }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Bounded: a rollout that hangs fails the test instead of the suite's timeout.
    const guard = setTimeout(() => child.kill("SIGKILL"), 40 * 60 * 1000);
    return new Promise((resolve) => {
        child.on("close", (code, signal) => {
            clearTimeout(guard);
            const done = events.find((e) => e.type === "done");
            resolve({ code: code ?? (signal ? 128 : -1), events, ...(done?.type === "done" ? { result: done.result } : {}), stderr, seconds: (Date.now() - started) / 1000 });
        });
    });
}

export function summarize(e: RolloutEvent): string {
    switch (e.type) {
        case "stage-end":
            return `${e.report.spec.label}: ${e.report.outcome.verdict} after ${e.report.outcome.requests.completed} requests in ${e.report.judgeSeconds.toFixed(1)} s`;
        case "up-end":
            return `pulumi up → ${e.percent}%: ${e.ok ? "ok" : "FAILED"} in ${e.seconds.toFixed(1)} s`;
        case "done":
            return `done: exit ${e.result.exitCode} (${e.result.status}): ${e.result.message.split("\n")[0]}`;
        case "config":
            return `config rolloutPercent=${e.percent} (${e.why})`;
        default:
            return e.type;
    }
}

/**
 * The deploy-time gate in `pulumi up` (verify.gate) runs @pulumi/command: with its plugin on PATH or
 * in PULUMI_HOME every step's update measures the split too; without it the stack keeps the verify
 * settings for the rollout only (verify.gate false), and the rollout's own sample judges the split.
 */
export function commandProviderFound(): boolean {
    const onPath = (process.env.PATH ?? "").split(path.delimiter).some((d) => d !== "" && fs.existsSync(path.join(d, "pulumi-resource-command")));
    const home = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    return onPath || (fs.existsSync(path.join(home, "plugins")) && fs.readdirSync(path.join(home, "plugins")).some((d) => d.startsWith("resource-command-")));
}
