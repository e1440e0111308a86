/**
 * What the e2e scenario and benchmark share: a scratch copy of the project (so config edits never
 * touch the checkout) and a command runner that keeps stdout apart for JSON and times each run.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readProbe, type ProbeRecord } from "./probe";

export const REPO = path.join(__dirname, "..");

export function requireHarnessEnv(): void {
    for (const name of ["KUBECONFIG", "PULUMI_BACKEND_URL", "E2E_REGISTRY", "E2E_PYTHON_IMAGE"]) {
        if (!process.env[name]) throw new Error(`${name} is not set: source the env file e2e/up.sh prints`);
    }
}

/** A scratch copy of the program with the repo's node_modules linked in. */
export function scratchProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-e2e-"));
    for (const f of ["Pulumi.yaml", "Pulumi.e2e.yaml", "index.ts", "package.json", "tsconfig.json", "tsconfig.pulumi.json"]) {
        fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    }
    for (const d of ["model", "components", "verifier", "rollout"]) fs.cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true });
    fs.cpSync(path.join(REPO, "apps"), path.join(dir, "apps"), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    // The policy pack with its installed packages (npm --prefix policy ci), for --policy-pack policy.
    fs.symlinkSync(path.join(REPO, "policy"), path.join(dir, "policy"));
    return dir;
}

/** A new app version in a scratch project: a copy of apps/<from> that names itself <to>. */
export function makeAppVersion(dir: string, from: string, to: string, edit: (source: string, file: string) => string = (x) => x): void {
    const target = path.join(dir, "apps", to);
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(path.join(dir, "apps", from), target, { recursive: true });
    for (const file of fs.readdirSync(target).filter((f) => f.endsWith(".py"))) {
        const p = path.join(target, file);
        fs.writeFileSync(p, edit(fs.readFileSync(p, "utf8").replace(new RegExp(`\\b${from}\\b`, "g"), to), p));
    }
}

export interface Run {
    code: number;
    /** stdout and stderr together, for messages. */
    out: string;
    /** stdout alone, for JSON. */
    stdout: string;
    seconds: number;
}

/** Runs a command to completion (bounded at 20 minutes) and times it. */
export function sh(cmd: string, args: string[], cwd: string): Run {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: process.env, maxBuffer: 64 << 20, timeout: 20 * 60 * 1000 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, stdout: r.stdout ?? "", seconds };
}

/** The pulumi CLI on one stack of one project directory. */
export class PulumiStack {
    constructor(readonly dir: string, readonly stack: string, readonly project = "knative-rollout") {}

    run(...args: string[]): Run {
        return sh("pulumi", [...args, "--stack", this.stack, "--non-interactive"], this.dir);
    }

    ok(...args: string[]): Run {
        const r = this.run(...args);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.out}`);
        return r;
    }

    /** A fresh stack; one left by an aborted run on the same backend is forgotten first. */
    init(): void {
        const file = path.join(this.dir, `Pulumi.${this.stack}.yaml`);
        const kept = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
        sh("pulumi", ["stack", "rm", this.stack, "--force", "--yes", "--non-interactive"], this.dir);
        if (kept) fs.writeFileSync(file, kept); // `stack rm` deletes the stack's config file
        const r = sh("pulumi", ["stack", "init", this.stack, "--non-interactive"], this.dir);
        if (r.code !== 0) throw new Error(`pulumi stack init failed:\n${r.out}`);
    }

    config(key: string, value: string, secret = false): void {
        this.ok("config", "set", ...(secret ? ["--secret"] : []), `${this.project}:${key}`, value);
    }

    /** Points the stack at the harness's registry and base image. */
    useHarnessRegistry(): void {
        this.config("registry", process.env.E2E_REGISTRY!);
        this.config("pythonImage", process.env.E2E_PYTHON_IMAGE!);
        if (process.env.E2E_REGISTRY_USER) {
            this.config("registryUsername", process.env.E2E_REGISTRY_USER);
            this.config("registryPassword", process.env.E2E_REGISTRY_PASSWORD ?? "", true);
        }
    }
}

/**
 * Runs `work` (typically a blocking `pulumi up`) while e2e/probe.ts, a separate process, sends
 * requests through the ingress; returns what the probe saw. The probe is stopped by SIGTERM and
 * writes its record before it exits; it is bounded on its own too (requests and seconds).
 */
export async function withProbe<T>(target: { url: string; address: string }, work: () => T): Promise<{ result: T; probe: ProbeRecord }> {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-probe-")), "probe.json");
    const child = spawn(
        process.execPath,
        ["-r", require.resolve("ts-node/register/transpile-only"), path.join(__dirname, "probe.ts"), "--url", target.url, "--address", target.address, "--out", out],
        { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("probing") && resolve());
        child.on("exit", (code) => reject(new Error(`the probe exited (${code}) before it started`)));
    });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    let result: T;
    try {
        result = work();
    } finally {
        child.kill("SIGTERM");
        await exited;
    }
    return { result, probe: readProbe(out) };
}
