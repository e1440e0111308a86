/**
 * What the post-deploy verifier accepts as its target and budget, as pure checks: the stack
 * config and the verifier's CLI both use these, so a value config accepts is one the verifier
 * accepts at deploy time.
 */
import { VERIFY } from "./contract";

/** `host:port` (IPv6 as `[addr]:port`) → its parts; throws with the reason. */
export function parseAddress(address: string): { host: string; port: number } {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(address);
    const port = m ? Number(m[3]) : NaN;
    if (!m || !(port >= 1 && port <= 65535)) {
        throw new Error(`must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port), got ${JSON.stringify(address)}`);
    }
    return { host: m[1] ?? m[2], port };
}

/** Why a URL cannot be verified, or undefined: http(s) only, parseable, and without credentials. */
export function urlProblem(url: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return `must be an http:// or https:// URL, got ${JSON.stringify(url)}`;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        return `must be an http:// or https:// URL, got ${JSON.stringify(url)}`;
    }
    // Credentials in a URL end up in command lines, logs and stack outputs; the verifier sends none.
    if (parsed.username !== "" || parsed.password !== "") {
        return `must not contain credentials (user:password@): they would be shown in the command line and the report, and the verifier does not send them`;
    }
    return undefined;
}

export type BudgetKey = keyof typeof VERIFY.bounds;

/** Why a budget value is out of the verifier's bounds, or undefined. Whole numbers only. */
export function budgetProblem(key: BudgetKey, value: unknown): string | undefined {
    const { min, max } = VERIFY.bounds[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        return `must be a whole number, at least ${min} and at most ${max}, got ${JSON.stringify(value)}`;
    }
    return undefined;
}
