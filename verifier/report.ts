/**
 * The verifier's output: a plain-text report (table per version, errors, test, evidence,
 * decision) or one JSON object. Pure formatting of a VerifyResult.
 */
import type { CheckOutcome } from "./sequential";
import type { VerifyResult } from "./verify";

const pct = (x: number, digits = 1) => `${x.toFixed(digits)}%`;

function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  ").trimEnd());
}

function num(x: number): string {
    if (x === 0 || !Number.isFinite(x)) return String(x);
    return Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(3);
}

function evidence(c: CheckOutcome): string {
    if (c.wrong !== undefined) {
        return `${c.version} expected at ${c.p0 * 100}%: ${c.wrong} answers from another version; ${c.n - c.wrong} right of ${c.required} needed`;
    }
    if (c.pValue !== undefined) return `${c.version}: ${c.k} of ${c.n}, exact two-sided p-value ${num(c.pValue)} (H0 share ${c.p0})`;
    const sides = (c.likelihoodRatios ?? []).map(
        (s) => `LR(p=${+s.p1.toFixed(6)}) = ${num(s.lr)} [${s.decided === "open" ? "open" : s.decided === "H0" ? `≤ B=${num(s.B)}: H0` : `≥ A=${num(s.A)}: H1`}]`,
    );
    return `${c.version}: ${c.k} of ${c.n}, ${sides.join(", ")}`;
}

export function formatText(r: VerifyResult): string {
    const lines: string[] = [];
    const via = [r.address !== undefined ? `connect ${r.address}` : "", r.host !== new URL(r.url).host || r.address !== undefined ? `Host: ${r.host}` : ""]
        .filter((s) => s !== "")
        .join(", ");
    lines.push(`traffic split check: ${r.url}${via !== "" ? ` (${via})` : ""}`);
    lines.push("");
    const level = `${+(r.test.ciLevel * 100).toFixed(4)}% CI`;
    lines.push(
        ...table([
            ["version", "expected", "observed", "share", `${level} (Clopper-Pearson)`],
            ...r.versions.map((v) => [
                v.version,
                `${v.expectedPercent}%`,
                String(v.count),
                pct(v.observedPercent),
                `[${pct(v.ci.lower)}, ${pct(v.ci.upper)}]`,
            ]),
        ]),
    );
    lines.push("");
    const e = r.errors;
    const others = Object.entries(e.otherVersions).map(([v, n]) => `${v}: ${n}`).join(", ");
    lines.push(
        `answers: ${r.classified} classified; errors: ${e.total} (connection ${e.connection}, timeout ${e.timeout}, 5xx ${e.serverError}, ` +
            `unclassifiable ${e.unclassifiable}${others !== "" ? ` [other versions ${others}]` : ""}) = ${pct(100 * e.rate)} of answers, limit ${pct(100 * r.maxErrorRate)}`,
    );
    for (const ex of e.examples) lines.push(`  e.g. ${ex}`);
    const q = r.requests;
    lines.push(
        `requests: ${q.sent} sent, ${q.completed} answered or failed, ${q.cancelled} cancelled in flight at the stop; ` +
            `${(q.elapsedMs / 1000).toFixed(1)} s; stopped by ${q.stoppedBy === "observer" ? "the decision" : q.stoppedBy === "max-requests" ? "--max-requests" : "--time-limit"}`,
    );
    lines.push(
        `test: ${r.test.description}` +
            (r.test.fixedSampleSize !== undefined ? ` (a fixed-size exact test would need ${r.test.fixedSampleSize} answers)` : ""),
    );
    if (r.checks.length > 0) {
        lines.push(`evidence (${r.method === "sequential" ? "sequential test" : "exact test on what was collected"}):`);
        for (const c of r.checks) lines.push(`  ${evidence(c)}`);
    }
    if (r.fallbackPower !== undefined) lines.push(`fallback power against a ${r.test.minEffectPoints}-point deviation: ${pct(100 * r.fallbackPower)}`);
    lines.push(`decision: ${r.verdict.toUpperCase()}: ${r.reason}`);
    return lines.join("\n") + "\n";
}

export function formatJson(r: VerifyResult): string {
    return JSON.stringify(r) + "\n";
}
