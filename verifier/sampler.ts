/**
 * The HTTP side: sends GET requests to one URL with a fixed number in flight, over keep-alive
 * connections (Node's own http/https), and hands every outcome to an observer that may stop the
 * run. Bounded in count (maxRequests), total time (timeLimitMs) and per request (timeoutMs).
 *
 * Every request that was started ends in exactly one of: an outcome passed to the observer
 * (a response of any status, a connection error or a timeout), or "cancelled" because the run
 * had already stopped (the decision was reached or the time limit passed) while it was in flight,
 * or while it waited behind an earlier request. Outcomes are passed on in the order the requests
 * were sent, so a slower version is not under-counted by a test that stops early; cancelled
 * requests are reported as such, never passed on.
 *
 * Each outcome carries its latency (wall time from the request's start to its body's end, or to
 * the error) and, on a response, the `x-app-version` header when the app sent one: the rollout's
 * health judge attributes answers by it, and by the body, to a revision (rollout/attribution.ts).
 * An optional AbortSignal stops the run from outside (the rollout's SIGINT/SIGTERM handling).
 */
import * as http from "node:http";
import * as https from "node:https";

/** Where to send: the URL, and optionally the ingress to connect to and the Host to send. */
export interface Target {
    url: URL;
    /** Host header; default the URL's host (with its port, if any). */
    host?: string;
    /** Connect here instead of resolving the URL's host (as an ingress or load balancer is reached). */
    address?: { host: string; port: number };
}

export type Outcome =
    | {
          kind: "response";
          status: number;
          body: string;
          /** Start of the request to the end of its body, in ms. */
          latencyMs: number;
          /** The `x-app-version` response header, when present (trimmed, first value). */
          appVersion?: string;
      }
    | { kind: "error"; error: "connection" | "timeout"; message: string; latencyMs: number };

/** The response header an app may name its version in (besides its body). */
export const APP_VERSION_HEADER = "x-app-version";

export interface SampleOptions {
    target: Target;
    maxRequests: number;
    timeLimitMs: number;
    timeoutMs: number;
    concurrency: number;
    /** Called once per finished request, in the order the requests were sent; return true to stop the run. */
    onOutcome: (outcome: Outcome) => boolean;
    /** Aborting it stops the run (stoppedBy "aborted"); requests in flight are cancelled. */
    signal?: AbortSignal;
}

export type StopReason = "observer" | "max-requests" | "time-limit" | "aborted";

export interface SampleSummary {
    /** Requests started. */
    sent: number;
    /** Outcomes passed to the observer. */
    completed: number;
    /** Requests in flight when the run stopped, abandoned. */
    cancelled: number;
    elapsedMs: number;
    stoppedBy: StopReason;
}

/** Enough of a body to find the version token; the rest is drained and dropped. */
const MAX_BODY = 64 * 1024;

class Cancelled extends Error {}

export async function sample(options: SampleOptions): Promise<SampleSummary> {
    const { target, maxRequests, timeLimitMs, timeoutMs, concurrency } = options;
    const https_ = target.url.protocol === "https:";
    const agent = https_
        ? new https.Agent({ keepAlive: true, maxSockets: concurrency })
        : new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const stop = new AbortController();
    const started = Date.now();
    let sent = 0;
    let completed = 0;
    let cancelled = 0;
    let stoppedBy: StopReason | undefined;
    const halt = (reason: StopReason) => {
        if (stoppedBy === undefined) stoppedBy = reason;
        stop.abort();
    };
    const deadline = setTimeout(() => halt("time-limit"), timeLimitMs);
    const onAbort = () => halt("aborted");
    if (options.signal?.aborted) halt("aborted");
    else options.signal?.addEventListener("abort", onAbort, { once: true });

    // Outcomes reach the observer in the order the requests were sent, not the order they
    // finished: a version that answers slower (a revision starting from zero pods behind the
    // activator) must not be under-counted by a test that stops as soon as it has decided.
    // Finished requests wait here for every earlier one.
    const finished = new Map<number, Outcome>();
    let nextToDeliver = 0;
    const deliver = () => {
        while (stoppedBy === undefined && finished.has(nextToDeliver)) {
            const outcome = finished.get(nextToDeliver)!;
            finished.delete(nextToDeliver);
            nextToDeliver++;
            completed++;
            if (options.onOutcome(outcome)) halt("observer");
        }
    };

    const worker = async () => {
        while (stoppedBy === undefined && sent < maxRequests) {
            const seq = sent++;
            let outcome: Outcome;
            try {
                outcome = await requestOnce(target, agent, timeoutMs, stop.signal);
            } catch (e) {
                if (!(e instanceof Cancelled)) throw e;
                break;
            }
            if (stoppedBy !== undefined) break; // finished in the same tick as the stop: not judged
            finished.set(seq, outcome);
            deliver();
        }
    };
    try {
        await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, maxRequests)) }, worker));
    } finally {
        clearTimeout(deadline);
        options.signal?.removeEventListener("abort", onAbort);
        agent.destroy();
    }
    // Whatever was sent and not judged: in flight at the stop, or finished behind one that was.
    cancelled = sent - completed;
    return { sent, completed, cancelled, elapsedMs: Date.now() - started, stoppedBy: stoppedBy ?? "max-requests" };
}

/** One GET; resolves with its outcome, rejects with Cancelled only when the run stopped. */
function requestOnce(target: Target, agent: http.Agent, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
    const { url } = target;
    const hostHeader = target.host ?? url.host;
    const https_ = url.protocol === "https:";
    const connectHost = target.address?.host ?? url.hostname.replace(/^\[(.*)\]$/, "$1");
    const connectPort = target.address?.port ?? (url.port !== "" ? Number(url.port) : https_ ? 443 : 80);
    return new Promise<Outcome>((resolve, reject) => {
        if (signal.aborted) return reject(new Cancelled());
        const started = process.hrtime.bigint();
        const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
        let timedOut = false;
        let settled = false;
        const settle = (fn: () => void) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            signal.removeEventListener("abort", onAbort);
            fn();
        };
        const requestOptions: https.RequestOptions = {
            method: "GET",
            host: connectHost,
            port: connectPort,
            path: `${url.pathname}${url.search}`,
            headers: { Host: hostHeader, "User-Agent": "knative-rollout-verifier", Accept: "text/plain" },
            agent,
            // TLS: the certificate is checked against the name we asked for, not the address.
            servername: https_ ? hostHeader.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1") : undefined,
        };
        const req = (https_ ? https : http).request(requestOptions, (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (chunk: Buffer) => {
                if (size < MAX_BODY) chunks.push(chunk);
                size += chunk.length;
            });
            res.on("end", () => {
                const body = Buffer.concat(chunks).subarray(0, MAX_BODY).toString("utf8");
                const latencyMs = elapsed();
                const header = res.headers[APP_VERSION_HEADER];
                const appVersion = (Array.isArray(header) ? header[0] : header)?.trim();
                settle(() =>
                    resolve({ kind: "response", status: res.statusCode ?? 0, body, latencyMs, ...(appVersion ? { appVersion } : {}) }),
                );
            });
            res.on("error", (err) => fail(err));
            // A connection that closes mid-body without an error event still ends the request.
            res.on("close", () => fail(new Error("connection closed before the body ended")));
        });
        const fail = (err: Error) =>
            settle(() => {
                if (signal.aborted && !timedOut) reject(new Cancelled());
                else if (timedOut) resolve({ kind: "error", error: "timeout", message: `no complete answer within ${timeoutMs} ms`, latencyMs: elapsed() });
                else resolve({ kind: "error", error: "connection", message: describe(err), latencyMs: elapsed() });
            });
        req.on("error", fail);
        // The timeout covers the whole exchange (connect, headers and body), not just idle time.
        const timer = setTimeout(() => {
            timedOut = true;
            req.destroy(new Error("timeout"));
        }, timeoutMs);
        const onAbort = () => req.destroy(new Cancelled());
        signal.addEventListener("abort", onAbort, { once: true });
        req.end();
    });
}

function describe(err: Error): string {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
