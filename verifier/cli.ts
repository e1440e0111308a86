/**
 * npm run verify -- --url URL --expect v1=50,v2=50 [options]
 *
 * Exit status: 0 the split matches, 1 it does not, 2 usage error or the service could not be
 * judged (nothing reachable, too many errors, a budget too small for the power asked for).
 */
import { parseArgs } from "node:util";
import { formatJson, formatText } from "./report";
import { DEFAULTS, VerifyOptions, verifySplit } from "./verify";

export const USAGE = `usage: npm run verify -- --url URL --expect V=P[,V=P...] [options]

Sends GET requests to URL, classifies each answer by the version it names ("Hello <TARGET> : <version> !"),
and tests the observed split against the expected one with a sequential test (two one-sided Wald SPRTs
on each tested version's share). If the budget runs out first, the exact binomial test on what was
collected decides: a mismatch if it rejects, a match only with the asked-for power, else "could not judge".

required:
  --url URL               the URL users reach the service by (http:// or https://)
  --expect V=P,...        expected share per version, integer percents summing to 100, stable first
                          (e.g. v1=50,v2=50; v1=100,v2=0; v2=100)
connection:
  --host HOST             Host header to send (default: the URL's host)
  --address HOST:PORT     connect here instead of resolving the URL's host (e.g. the ingress)
test:
  --alpha A               false-alarm probability per run (default ${DEFAULTS.alpha})
  --power P               probability of catching a deviation of --min-effect (default ${DEFAULTS.power})
  --min-effect POINTS     smallest deviation of a share to catch, in percentage points (default ${DEFAULTS.minEffect})
budget:
  --max-requests N        requests at most (default ${DEFAULTS.maxRequests})
  --time-limit SECONDS    total time at most (default ${DEFAULTS.timeLimitSeconds})
  --timeout-ms MS         per request, connect to last byte (default ${DEFAULTS.timeoutMs})
  --concurrency N         requests in flight (default ${DEFAULTS.concurrency})
  --max-error-rate R      errors (connection, timeout, 5xx, unclassifiable) above this share of
                          answers fail the check with exit 2 (default ${DEFAULTS.maxErrorRate})
output:
  --json                  print one JSON object instead of the report
  --help                  this text

replay (re-judge a rollout's recorded requests, from \`npm run rollout\`'s samples file):
  --replay FILE           judge every stage in FILE again (no request is sent)
  --stage N               only stage N (0 is the dark launch)
  --settings FILE         the health judge's settings as JSON (rollout/judge/settings.ts); default: as recorded
  --alpha A               the whole rollout's α (re-plans its spending over the recorded steps)
  exit status: 0 every replayed stage passes, 1 one fails, 2 otherwise

exit status: 0 match, 1 mismatch, 2 usage error or could not judge (nothing reachable, too many errors,
             or the budget ran out before the test had the power asked for)
`;

export class UsageError extends Error {}

export type Parsed =
    | { help: true }
    | { help: false; json: boolean; options: VerifyOptions }
    | { help: false; json: boolean; replay: ReplayFlags };

/** `--replay` and its flags, as given (files are read when it runs). */
export interface ReplayFlags {
    file: string;
    stage?: number;
    settingsFile?: string;
    alpha?: number;
}

const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseExpect(text: string): Record<string, number> {
    // A Map, not an object: a version may be named `constructor` (a DNS label like any other).
    const out = new Map<string, number>();
    for (const part of text.split(",")) {
        const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(part);
        if (!m) throw new UsageError(`--expect: "${part}" is not VERSION=PERCENT`);
        const [, version, raw] = m;
        if (!VERSION_NAME.test(version)) throw new UsageError(`--expect: "${version}" is not a version name (letters, digits, . _ -)`);
        if (!/^\d+$/.test(raw) || Number(raw) > 100) throw new UsageError(`--expect: ${version}=${raw}: a share is an integer from 0 to 100`);
        if (out.has(version)) throw new UsageError(`--expect names ${version} twice`);
        out.set(version, Number(raw));
    }
    const sum = [...out.values()].reduce((a, b) => a + b, 0);
    if (sum !== 100) throw new UsageError(`--expect shares must sum to 100, they sum to ${sum} (${text})`);
    return Object.fromEntries(out);
}

function number(flag: string, raw: string | undefined, integer: boolean): number | undefined {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
        throw new UsageError(`--${flag} must be ${integer ? "an integer" : "a number"}, got ${JSON.stringify(raw)}`);
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
                url: { type: "string" },
                host: { type: "string" },
                address: { type: "string" },
                expect: { type: "string" },
                alpha: { type: "string" },
                power: { type: "string" },
                "min-effect": { type: "string" },
                "max-requests": { type: "string" },
                "time-limit": { type: "string" },
                "timeout-ms": { type: "string" },
                concurrency: { type: "string" },
                "max-error-rate": { type: "string" },
                json: { type: "boolean" },
                help: { type: "boolean", short: "h" },
                replay: { type: "string" },
                stage: { type: "string" },
                settings: { type: "string" },
            },
        }));
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (values.help === true) return { help: true };
    const str = (k: string) => values[k] as string | undefined;
    if (str("replay") !== undefined) {
        const other = ["url", "host", "address", "expect", "power", "min-effect", "max-requests", "time-limit", "timeout-ms", "concurrency", "max-error-rate"].filter((k) => values[k] !== undefined);
        if (other.length > 0) throw new UsageError(`--replay judges recorded requests: --${other[0]} does not apply (use --stage, --settings, --alpha, --json)`);
        const stage = number("stage", str("stage"), true);
        const alpha = number("alpha", str("alpha"), false);
        return {
            help: false,
            json: values.json === true,
            replay: { file: str("replay") as string, ...(stage !== undefined ? { stage } : {}), ...(str("settings") !== undefined ? { settingsFile: str("settings") } : {}), ...(alpha !== undefined ? { alpha } : {}) },
        };
    }
    for (const k of ["stage", "settings"]) if (values[k] !== undefined) throw new UsageError(`--${k} goes with --replay FILE`);
    if (str("url") === undefined) throw new UsageError("--url is required");
    if (str("expect") === undefined) throw new UsageError("--expect is required (e.g. --expect v1=50,v2=50)");
    const options: VerifyOptions = {
        url: str("url") as string,
        expect: parseExpect(str("expect") as string),
        host: str("host"),
        address: str("address"),
        alpha: number("alpha", str("alpha"), false),
        power: number("power", str("power"), false),
        minEffect: number("min-effect", str("min-effect"), false),
        maxRequests: number("max-requests", str("max-requests"), true),
        timeLimitSeconds: number("time-limit", str("time-limit"), false),
        timeoutMs: number("timeout-ms", str("timeout-ms"), true),
        concurrency: number("concurrency", str("concurrency"), true),
        maxErrorRate: number("max-error-rate", str("max-error-rate"), false),
    };
    for (const k of Object.keys(options) as (keyof VerifyOptions)[]) if (options[k] === undefined) delete options[k];
    return { help: false, json: values.json === true, options };
}

/** Runs the CLI; returns the exit status. Output goes through the given writers (tests capture them). */
export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
    let parsed: Parsed;
    try {
        parsed = parseCli(argv);
    } catch (e) {
        err(`verify: ${(e as Error).message}\nrun with --help for usage\n`);
        return 2;
    }
    if (parsed.help) {
        out(USAGE);
        return 0;
    }
    if ("replay" in parsed) {
        try {
            // Loaded here: the deploy gate's verification never needs the health judge.
            const { runReplay } = require("./replay") as typeof import("./replay");
            const { loadSettings } = require("../rollout/settingsFile") as typeof import("../rollout/settingsFile");
            const r = parsed.replay;
            const settings = r.settingsFile !== undefined || r.alpha !== undefined ? loadSettings(r.settingsFile, r.alpha) : undefined;
            const { text, exitCode } = runReplay({ file: r.file, ...(r.stage !== undefined ? { stage: r.stage } : {}), ...(settings ? { settings } : {}) }, parsed.json);
            out(text);
            return exitCode;
        } catch (e) {
            err(`verify: --replay ${parsed.replay.file}: ${(e as Error).message}\n`);
            return 2;
        }
    }
    let result;
    try {
        result = await verifySplit(parsed.options);
    } catch (e) {
        // resolveOptions' checks (ranges, URL, address) are usage errors too.
        err(`verify: ${(e as Error).message}\nrun with --help for usage\n`);
        return 2;
    }
    out(parsed.json ? formatJson(result) : formatText(result));
    return result.exitCode;
}

if (require.main === module) {
    main(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`verify: ${(e as Error).stack ?? e}\n`);
            process.exitCode = 2;
        },
    );
}
