/**
 * The rollout's seam to Pulumi and the cluster. The driver (rollout/driver.ts) only talks to these
 * interfaces; tests give it fakes, the command gives it:
 *
 *  - a Pulumi Automation API `LocalWorkspace` on this project (`selectStack({ stackName, workDir })`),
 *    the same program and stack files `pulumi up` uses. `rolloutPercent` is written with the same
 *    CLI (`pulumi config set --type int`), so the stack file keeps an integer and its comments;
 *  - a read-only view of the cluster (rollout/cluster.ts).
 */
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS, DEFAULTS, PROJECT, TYPES, type RawConfig, type TrafficTarget } from "../model";

/** What a stack's outputs say about the deployed rollout (index.ts exports these). */
export interface StackOutputs {
    url?: string;
    tagUrls?: Record<string, string>;
    traffic?: TrafficTarget[];
    candidateRevision?: string;
    stableRevision?: string;
}

export interface UpResult {
    ok: boolean;
    /** Pulumi's summary ("succeeded", "failed") or the error's last lines. */
    message: string;
}

export interface UpOptions {
    /** Pulumi's output, as it comes (the log file). */
    onOutput: (text: string) => void;
    /** Aborting asks Pulumi to cancel gracefully (SIGINT: in-flight operations finish, state is saved). */
    signal: AbortSignal;
}

export interface RolloutWorkspace {
    readonly stackName: string;
    readonly workDir: string;
    /** The stack's config as the program reads it (registryPassword only as "secret"/"plaintext"). */
    readConfig(): Promise<RawConfig>;
    /** rolloutPercent as the stack file says (`pulumi config get`); unset reads as Pulumi.yaml's default. */
    getPercent(): Promise<number>;
    /** Writes rolloutPercent into the stack file. */
    setPercent(percent: number): Promise<void>;
    /** `pulumi up` of the stack. Resolves, never rejects, on a failed update. */
    up(options: UpOptions): Promise<UpResult>;
    /** The stack outputs of the last successful update. */
    outputs(): Promise<StackOutputs>;
    /**
     * The traffic table the Pulumi state records as applied to the cluster (the traffic patch's
     * outputs), or undefined when the state holds none. After a failed or cancelled update this
     * can be ahead of `outputs()`, which only a successful update writes.
     */
    appliedTraffic(): Promise<TrafficTarget[] | undefined>;
}

/** The cluster, read-only. */
export interface ClusterView {
    /** Whether a revision exists and is Ready, and if not, why. */
    revisionReady(namespace: string, revision: string): Promise<{ ready: boolean; problems: string[] }>;
    /** The Service's live spec.traffic, or undefined when it does not exist. */
    liveTraffic(namespace: string, service: string): Promise<TrafficTarget[] | undefined>;
}

export class StackNotFoundError extends Error {}

const KEY = (key: string) => `${PROJECT}:${key}`;

/** Runs the Pulumi CLI the workspace uses, with the workspace's environment. */
function runCli(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        execFile(command, [...args, "--non-interactive"], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
            if (err) reject(Object.assign(new Error(`pulumi ${args.join(" ")} failed: ${(stderr || err.message).trim()}`), { stderr }));
            else resolve({ stdout, stderr });
        });
    });
}

/** The last lines of a long text (a failed update's output), for a one-paragraph message. */
export function lastLines(text: string, n = 12): string {
    return text.trimEnd().split("\n").slice(-n).join("\n");
}

class LocalRolloutWorkspace implements RolloutWorkspace {
    constructor(
        private readonly stack: Stack,
        private readonly ws: LocalWorkspace,
        readonly stackName: string,
        readonly workDir: string,
        /** Policy packs every `up` runs with (the pack refuses a step before anything moves). */
        private readonly policyPacks: string[] = [],
    ) {}

    private cli(args: string[]) {
        const env: Record<string, string> = { ...this.ws.envVars };
        if (this.ws.pulumiHome) env.PULUMI_HOME = this.ws.pulumiHome;
        return runCli(this.ws.pulumiCommand.command, args, this.workDir, env);
    }

    async readConfig(): Promise<RawConfig> {
        // Without --show-secrets: a secret is never decrypted here, only seen to be one.
        const { stdout } = await this.cli(["config", "--json", "--stack", this.stackName]);
        const all = JSON.parse(stdout) as Record<string, { value?: string; secret?: boolean }>;
        const raw: RawConfig = {};
        for (const key of CONFIG_KEYS) {
            const entry = all[KEY(key)];
            if (entry === undefined) continue;
            if (key === "registryPassword") {
                if (entry.secret || (entry.value ?? "") !== "") raw.registryPassword = entry.secret ? "secret" : "plaintext";
            } else {
                raw[key] = entry.value;
            }
        }
        return raw;
    }

    async getPercent(): Promise<number> {
        try {
            const { stdout } = await this.cli(["config", "get", KEY("rolloutPercent"), "--stack", this.stackName]);
            const text = stdout.trim();
            if (!/^\d+$/.test(text)) throw new Error(`rolloutPercent in the stack file is not an integer: ${JSON.stringify(text)}`);
            return Number(text);
        } catch (e) {
            if (/not found/i.test((e as { stderr?: string }).stderr ?? "")) return DEFAULTS.rolloutPercent;
            throw e;
        }
    }

    async setPercent(percent: number): Promise<void> {
        // --type int keeps `rolloutPercent: 25` an integer in the stack file (Automation API's
        // setConfig would write the string "25").
        await this.cli(["config", "set", "--type", "int", "--stack", this.stackName, KEY("rolloutPercent"), String(percent)]);
    }

    async up(options: UpOptions): Promise<UpResult> {
        let output = "";
        try {
            const r = await this.stack.up({
                color: "never",
                ...(this.policyPacks.length > 0 ? { policyPacks: this.policyPacks } : {}),
                onOutput: (s) => {
                    output += s;
                    options.onOutput(s);
                },
                onError: (s) => {
                    output += s;
                    options.onOutput(s);
                },
                signal: options.signal,
            });
            return { ok: r.summary.result === "succeeded", message: `${r.summary.result}: ${JSON.stringify(r.summary.resourceChanges ?? {})}` };
        } catch (e) {
            return { ok: false, message: lastLines(output || (e as Error).message) };
        }
    }

    async outputs(): Promise<StackOutputs> {
        const out = await this.stack.outputs();
        const value = <T>(k: string) => out[k]?.value as T | undefined;
        return {
            url: value<string>("url"),
            tagUrls: value<Record<string, string>>("tagUrls"),
            traffic: value<TrafficTarget[]>("traffic"),
            candidateRevision: value<string>("candidateRevision"),
            stableRevision: value<string>("stableRevision"),
        };
    }

    async appliedTraffic(): Promise<TrafficTarget[] | undefined> {
        const state = await this.stack.exportStack();
        type Traffic = { spec?: { traffic?: TrafficTarget[] } };
        const resources = (state.deployment?.resources ?? []) as { type: string; delete?: boolean; outputs?: Traffic; inputs?: Traffic }[];
        // The traffic patch (components/knative/service.ts): its outputs are the live object after
        // the server-side apply; its inputs what was sent.
        const patch = resources.find((r) => r.type === TYPES.servicePatch && !r.delete);
        return patch?.outputs?.spec?.traffic ?? patch?.inputs?.spec?.traffic;
    }
}

/**
 * The stack as the Automation API sees it, in this project directory. A stack that does not
 * exist is a StackNotFoundError (the command says how to list and create stacks).
 */
export async function openLocalWorkspace(stackName: string, workDir: string, policyPacks: string[] = []): Promise<RolloutWorkspace> {
    if (!fs.existsSync(path.join(workDir, "Pulumi.yaml"))) throw new Error(`${workDir} has no Pulumi.yaml: run the command in the project`);
    let stack: Stack;
    try {
        stack = await LocalWorkspace.selectStack({ stackName, workDir });
    } catch (e) {
        const message = (e as Error).message;
        if (/ENOENT/.test(message) && /spawn pulumi|pulumi version/.test(message)) {
            throw new Error(`the Pulumi CLI was not found on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) and log in to the stack's backend`);
        }
        if (/no stack named|not found|does not exist/i.test(message)) {
            throw new StackNotFoundError(
                `stack "${stackName}" does not exist on this backend (pulumi stack ls lists the stacks; pulumi stack init ${stackName} creates one)`,
            );
        }
        throw new Error(`could not select stack "${stackName}": ${lastLines(message, 6)}`);
    }
    return new LocalRolloutWorkspace(stack, stack.workspace as LocalWorkspace, stackName, workDir, policyPacks);
}
