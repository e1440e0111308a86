/**
 * The background probe of the live-traffic scenario: while a `pulumi up` runs, a separate process
 * sends one request at a time through the ingress, at a steady pace, and records every answer:
 * which version answered, or how it failed. Bounded in count and time; loopback and the harness's
 * namespace addresses only (the caller passes the ingress address).
 *
 *   npx ts-node --transpile-only e2e/probe.ts --url URL --address HOST:PORT --out FILE
 *       [--interval-ms 25] [--max-requests 20000] [--max-seconds 900] [--timeout-ms 5000]
 *
 * It stops on SIGTERM/SIGINT or at a bound, and then writes its record (ProbeRecord) to FILE.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { parseArgs } from "node:util";
import { parseAddress } from "../model/verify";
import { versionToken } from "../verifier/classify";

/** One answer: milliseconds since the probe started, and the version that answered or the failure. */
export type ProbeAnswer = [t: number, outcome: string];

export interface ProbeRecord {
    sent: number;
    answered: number;
    /** Answers that were not a 2xx naming a version: 5xx, other statuses, connection errors, timeouts. */
    failed: number;
    byVersion: Record<string, number>;
    /** The first failures, with when they happened. */
    failures: { t: number; what: string }[];
    answers: ProbeAnswer[];
    stoppedBy: "signal" | "max-requests" | "max-seconds";
}

function once(url: URL, address: { host: string; port: number }, timeoutMs: number): Promise<string> {
    return new Promise((resolve) => {
        const req = http.request(
            { host: address.host, port: address.port, path: `${url.pathname}${url.search}`, headers: { Host: url.host }, agent: false, timeout: timeoutMs },
            (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (chunk: string) => {
                    if (body.length < 4096) body += chunk;
                });
                res.on("end", () => {
                    const status = res.statusCode ?? 0;
                    const version = status >= 200 && status < 300 ? versionToken(body) : undefined;
                    resolve(version ?? `error:http-${status}`);
                });
                res.on("error", (e) => resolve(`error:${e.message}`));
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e) => resolve(`error:${(e as NodeJS.ErrnoException).code ?? e.message}`));
        req.end();
    });
}

/** Reads a probe's record and summarises what a test asserts on. */
export function readProbe(file: string): ProbeRecord {
    return JSON.parse(fs.readFileSync(file, "utf8")) as ProbeRecord;
}

/** The most answers from `version` in any `window` consecutive answers: a share never exceeded. */
export function maxShareInWindow(answers: ProbeAnswer[], version: string, window: number): number {
    let most = 0;
    let inWindow = 0;
    for (let i = 0; i < answers.length; i++) {
        if (answers[i][1] === version) inWindow++;
        if (i >= window && answers[i - window][1] === version) inWindow--;
        if (i >= window - 1) most = Math.max(most, inWindow);
    }
    return most;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            url: { type: "string" },
            address: { type: "string" },
            out: { type: "string" },
            "interval-ms": { type: "string", default: "25" },
            "max-requests": { type: "string", default: "20000" },
            "max-seconds": { type: "string", default: "900" },
            "timeout-ms": { type: "string", default: "5000" },
        },
    });
    if (!values.url || !values.address || !values.out) throw new Error("--url, --address and --out are required");
    const url = new URL(values.url);
    const address = parseAddress(values.address);
    const interval = Number(values["interval-ms"]);
    const maxRequests = Number(values["max-requests"]);
    const deadline = Date.now() + Number(values["max-seconds"]) * 1000;
    const timeoutMs = Number(values["timeout-ms"]);
    const started = Date.now();
    const record: ProbeRecord = { sent: 0, answered: 0, failed: 0, byVersion: {}, failures: [], answers: [], stoppedBy: "max-requests" };
    let stop = false;
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.on(signal, () => {
            stop = true;
            record.stoppedBy = "signal";
        });
    }
    // Tell the parent the probe is running (it waits for this line before starting its command).
    process.stdout.write("probing\n");
    while (!stop && record.sent < maxRequests) {
        if (Date.now() > deadline) {
            record.stoppedBy = "max-seconds";
            break;
        }
        const next = Date.now() + interval;
        record.sent++;
        const outcome = await once(url, address, timeoutMs);
        const t = Date.now() - started;
        record.answered++;
        record.answers.push([t, outcome]);
        if (outcome.startsWith("error:")) {
            record.failed++;
            if (record.failures.length < 20) record.failures.push({ t, what: outcome.slice("error:".length) });
        } else {
            record.byVersion[outcome] = (Object.hasOwn(record.byVersion, outcome) ? record.byVersion[outcome] : 0) + 1;
        }
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    fs.writeFileSync(values.out, JSON.stringify(record));
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (e) => {
            process.stderr.write(`probe: ${(e as Error).message}\n`);
            process.exit(2);
        },
    );
}
