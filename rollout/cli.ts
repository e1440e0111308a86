/**
 * npm run rollout -- --stack NAME [--steps 10,25,50,100] [options]
 *
 * The command around the driver (rollout/driver.ts): arguments, the Automation API workspace on
 * this project, SIGINT/SIGTERM, the live view or JSON, and the summary, samples and log files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { VERIFY } from "../model/contract";
import { kubeCluster } from "./cluster";
import { runRollout, type Interrupts, type RolloutDeps, type RolloutRequest, type RolloutResult } from "./driver";
import { DEFAULT_HEALTH_SETTINGS } from "./judge";
import { InputError, parseSteps, ROLLOUT_DEFAULTS } from "./plan";
import { CommandReporter, LineFile, markdownSummary } from "./report";
import { loadSettings } from "./settingsFile";
import { runStage } from "./sampling";
import { openLocalWorkspace } from "./workspace";

/** The project root: the program, its Pulumi.yaml and stack files. */
export const PROJECT_DIR = path.join(__dirname, "..");

export const USAGE = `usage: npm run rollout -- --stack NAME [--steps P,P,...] [options]

Moves live traffic to the stack's candidate revision step by step. Each step writes rolloutPercent
into the stack file, runs \`pulumi up\` (Automation API, this project) and judges the step from one
sample of live requests: the split, and the candidate's error rate and latency against the
stable's, side by side. Before any step the candidate is judged alone at 0% through its tag URL
(dark launch). A failed step sets rolloutPercent back to the last verified value and applies it.

required:
  --stack NAME            the Pulumi stack (Pulumi.NAME.yaml and its state); it must be deployed
                          as its stack file says, with stableVersion and verify set
steps:
  --steps P,P,...         the candidate's percents, increasing, above the stack's current
                          rolloutPercent and in its allowedRolloutSteps (default: the allowed
                          steps above the current percent; 10,25,50,100 when any is allowed).
                          A stack already above 0% is judged as it stands first (resume).
judgment:
  --alpha A               probability of aborting a healthy candidate anywhere in the rollout
                          (default ${DEFAULT_HEALTH_SETTINGS.alpha}); 10% of it goes to the split tests
  --settings FILE         JSON overriding the health judge's settings (rollout/judge/settings.ts,
                          e.g. {"latencyToleranceMs": 40, "absolute": {...}})
budget, per stage:
  --max-requests N        at most N requests (default: the judge's budget for the stage)
  --time-limit SECONDS    at most this long (default ${ROLLOUT_DEFAULTS.timeLimitSeconds}); an undecided stage is
                          inconclusive, which rolls back like a failure
  --timeout-ms MS         per request, connect to last byte (default ${ROLLOUT_DEFAULTS.timeoutMs})
  --concurrency N         requests in flight (default: the stack's verify.concurrency)
guardrails:
  --policy-pack DIR       run every \`pulumi up\` with this policy pack (e.g. policy, after
                          npm --prefix policy ci): a step the pack refuses is refused before it moves
output:
  --json                  JSON lines (one per event) on stdout instead of the live view
  --summary FILE          write the Markdown summary here (it is also appended to
                          $GITHUB_STEP_SUMMARY when that is set)
  --samples FILE          every request, as JSON lines, for \`npm run verify -- --replay FILE\`
                          (default: $TMPDIR/knative-rollout/<stack>-<time>.samples.jsonl)
  --log FILE              Pulumi's output (default: next to the samples file, .pulumi.log)
  --help                  this text

exit status: 0 every step passed; 1 a stage failed or could not be judged and the stack was rolled
back (or the dark launch failed: nothing changed); 2 bad input, nothing changed; 3 a rollback or
the final agreement check failed: look at the stack; 130/143 interrupted by SIGINT/SIGTERM (the
stack file and the state agree; run the same command again to resume)
`;

export type Parsed =
    | { help: true }
    | { help: false; request: RolloutRequest; json: boolean; summary?: string; samples?: string; log?: string; policyPack?: string };

function number(flag: string, raw: string | undefined, integer: boolean, min: number, max: number): number | undefined {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min || x > max) {
        throw new InputError(`--${flag} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return x;
}

export function parseCli(argv: string[]): Parsed {
    let values: Record<string, string | boolean | undefined>;
    try {
        ({ values } = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string", short: "s" },
                steps: { type: "string" },
                alpha: { type: "string" },
                settings: { type: "string" },
                "max-requests": { type: "string" },
                "time-limit": { type: "string" },
                "timeout-ms": { type: "string" },
                concurrency: { type: "string" },
                json: { type: "boolean" },
                summary: { type: "string" },
                samples: { type: "string" },
                log: { type: "string" },
                "policy-pack": { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        }));
    } catch (e) {
        throw new InputError((e as Error).message);
    }
    if (values.help === true) return { help: true };
    const str = (k: string) => values[k] as string | undefined;
    const stack = str("stack");
    if (stack === undefined || stack.trim() === "") throw new InputError("--stack is required (e.g. --stack dev)");
    const { bounds } = VERIFY;
    const request: RolloutRequest = {
        stack,
        ...(str("steps") !== undefined ? { steps: parseSteps(str("steps")!) } : {}),
        settings: loadSettings(str("settings"), number("alpha", str("alpha"), false, Number.MIN_VALUE, 0.4999)),
        ...(str("max-requests") !== undefined ? { maxRequests: number("max-requests", str("max-requests"), true, 1, bounds.maxRequests.max) } : {}),
        timeLimitSeconds: number("time-limit", str("time-limit"), false, 1, bounds.timeLimitSeconds.max) ?? ROLLOUT_DEFAULTS.timeLimitSeconds,
        timeoutMs: number("timeout-ms", str("timeout-ms"), true, bounds.timeoutMs.min, bounds.timeoutMs.max) ?? ROLLOUT_DEFAULTS.timeoutMs,
        ...(str("concurrency") !== undefined ? { concurrency: number("concurrency", str("concurrency"), true, bounds.concurrency.min, bounds.concurrency.max) } : {}),
    };
    return {
        help: false,
        request,
        json: values.json === true,
        ...(str("summary") !== undefined ? { summary: str("summary") } : {}),
        ...(str("samples") !== undefined ? { samples: str("samples") } : {}),
        ...(str("log") !== undefined ? { log: str("log") } : {}),
        ...(str("policy-pack") !== undefined ? { policyPack: path.resolve(str("policy-pack")!) } : {}),
    };
}

/** SIGINT/SIGTERM → the driver's Interrupts; the third signal exits at once. */
export function trapSignals(onSignal: (signal: "SIGINT" | "SIGTERM", count: number) => void, exit: (code: number) => void) {
    const first = new AbortController();
    const second = new AbortController();
    let name: "SIGINT" | "SIGTERM" | undefined;
    let count = 0;
    const handler = (signal: "SIGINT" | "SIGTERM") => {
        count++;
        name ??= signal;
        onSignal(signal, count);
        if (count === 1) first.abort();
        else if (count === 2) second.abort();
        else exit(signal === "SIGTERM" ? 143 : 130);
    };
    const onInt = () => handler("SIGINT");
    const onTerm = () => handler("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    const interrupts: Interrupts = { first: first.signal, second: second.signal, name: () => name };
    return { interrupts, dispose: () => (process.off("SIGINT", onInt), process.off("SIGTERM", onTerm)) };
}

export interface CliIo {
    stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    stderr: NodeJS.WritableStream;
    env: NodeJS.ProcessEnv;
    /** Replaces parts of the real dependencies (tests). */
    deps?: Partial<RolloutDeps>;
}

function defaultSamplesPath(stack: string): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    return path.join(os.tmpdir(), "knative-rollout", `${stack}-${stamp}.samples.jsonl`);
}

/** Runs the command; returns the exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
    let parsed: Parsed;
    try {
        parsed = parseCli(argv);
    } catch (e) {
        io.stderr.write(`rollout: ${(e as Error).message}\nrun with --help for usage\n`);
        return 2;
    }
    if (parsed.help) {
        io.stdout.write(USAGE);
        return 0;
    }
    const samplesFile = parsed.samples ?? defaultSamplesPath(parsed.request.stack);
    const logFile = parsed.log ?? samplesFile.replace(/(\.samples)?\.jsonl$/, "") + ".pulumi.log";
    const reporter = new CommandReporter({ out: io.stdout, json: parsed.json, samples: new LineFile(samplesFile), log: logFile, settings: parsed.request.settings });
    const signals = trapSignals(
        (signal, count) => reporter.event({ type: "interrupt", signal, count }),
        (code) => {
            void reporter.close();
            process.exit(code);
        },
    );
    const deps: RolloutDeps = {
        openWorkspace: (stack) => openLocalWorkspace(stack, PROJECT_DIR, parsed.policyPack !== undefined ? [parsed.policyPack] : []),
        cluster: kubeCluster,
        runStage,
        versionExists: (v) => fs.existsSync(path.join(PROJECT_DIR, "apps", v, "Dockerfile")),
        reporter,
        interrupts: signals.interrupts,
        now: Date.now,
        ...io.deps,
    };
    let result: RolloutResult;
    try {
        result = await runRollout({ ...parsed.request, command: "npm run rollout --" }, deps);
    } finally {
        signals.dispose();
        await reporter.close();
    }
    if (result.status === "invalid") {
        io.stderr.write(`rollout: ${result.message}\n`);
        return result.exitCode;
    }
    const markdown = markdownSummary(result);
    const outputs = [parsed.summary, io.env.GITHUB_STEP_SUMMARY].filter((f): f is string => f !== undefined && f !== "");
    for (const [i, file] of outputs.entries()) {
        if (i === 0 && file === parsed.summary) fs.writeFileSync(file, markdown);
        else fs.appendFileSync(file, markdown + "\n");
    }
    const where = [`samples: ${samplesFile} (re-judge: npm run verify -- --replay ${samplesFile})`, `pulumi log: ${logFile}`];
    if (parsed.summary) where.push(`summary: ${parsed.summary}`);
    if (!parsed.json) io.stdout.write(where.join("\n") + "\n");
    else io.stderr.write(where.join("\n") + "\n");
    return result.exitCode;
}

if (require.main === module) {
    main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`rollout: ${(e as Error).stack ?? e}\n`);
            process.exitCode = 3;
        },
    );
}
