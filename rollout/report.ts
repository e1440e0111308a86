/**
 * What the rollout shows and writes:
 *  - a live terminal view (a status block redrawn in place on a TTY; plain progress lines elsewhere):
 *    step k of n, requests judged, the running split with its interval, error rate and latency per
 *    revision, and each test's standing as the decision forms;
 *  - `--json`: one JSON object per event on stdout (progress at most once a second);
 *  - the Markdown summary (one row per stage) for a CI job summary or a pull-request comment;
 *  - the samples file (JSON lines: the rollout, each stage's spec, every request, each verdict),
 *    which `npm run verify -- --replay FILE` re-judges;
 *  - Pulumi's own output, to a log file.
 * Formatting is pure (functions of events and results); the writers are thin.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { HealthEvidence } from "./judge";
import type { PlanSummary, Reporter, RolloutEvent, RolloutResult, StageReport } from "./driver";
import type { RequestRecord, StageSnapshot, StageSpec } from "./stage";

// ---------------------------------------------------------------------------------------------
// Numbers

const pct = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(digits)}%`);
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const int = (n: number) => n.toLocaleString("en-US");
const secs = (s: number) => (s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(1)} s`);

function splitText(s: StageSnapshot["split"]): string {
    return s.map((v) => `${v.version} ${v.share.toFixed(1)}% [${v.interval.lower.toFixed(1)}, ${v.interval.upper.toFixed(1)}] (expected ${v.expected})`).join(" · ");
}

function armText(name: string, a: HealthEvidence["stable"] | undefined): string {
    if (a === undefined || a.requests === 0) return `${name.padEnd(9)}  no answers`;
    return (
        `${name.padEnd(9)}  ${int(a.requests).padStart(7)} req · errors ${pct(a.errorRate)} [${pct(a.errorRateInterval.lower)}, ${pct(a.errorRateInterval.upper)}]` +
        ` · p50 ${ms(a.p50Ms)} · p95 ${ms(a.p95Ms)}`
    );
}

/** The live view's block for a stage in progress (pure; tests read it). */
export function snapshotLines(s: StageSnapshot, elapsedMs: number): string[] {
    const lines = [`${s.label} · ${int(s.requests)} of at most ${int(s.maxRequests)} requests · ${secs(elapsedMs / 1000)} · decision: ${s.decision}`];
    lines.push(`  split      ${splitText(s.split)}`);
    if (s.health) {
        lines.push(`  ${armText("stable", s.health.stable)}`);
        lines.push(`  ${armText("candidate", s.health.candidate)}${s.health.unattributedErrors > 0 ? ` (+${int(s.health.unattributedErrors)} unattributed errors, charged to it)` : ""}`);
    }
    for (const r of s.reasons) lines.push(`  · ${r}`);
    return lines;
}

export function planLines(p: PlanSummary): string[] {
    const path_ = [`${p.current}%`, ...p.steps.map((s) => `${s}%`)].join(" → ");
    const lines = [
        `rollout of ${p.candidate} (stable ${p.stable}) on stack ${p.stack}: ${path_}${p.resume ? ` (resuming: ${p.current}% is judged first, as deployed)` : ""}`,
        `  false-abort budget α = ${p.alpha.total} for the whole rollout: health ${+p.alpha.health.toFixed(6)}` +
            (p.alpha.splitTests > 0 ? `, split tests ${p.alpha.splitTests} × ${+p.alpha.splitEach.toPrecision(3)}` : ""),
        `  samples: ${p.serviceTarget.url}${p.serviceTarget.address ? ` via ${p.serviceTarget.address}` : ""}${p.serviceTarget.host ? ` (Host ${p.serviceTarget.host})` : ""}; ` +
            `dark launch: ${p.candidateTarget.url}`,
    ];
    for (const s of p.stages) {
        lines.push(
            `  ${s.label.padEnd(34)} ${s.mode ?? ""}${s.alpha !== undefined ? ` α ${s.alpha.toPrecision(3)}` : ""}${s.splitAlpha > 0 ? `, split α ${s.splitAlpha.toPrecision(3)}` : ""}, at most ${int(s.maxRequests)} requests`,
        );
    }
    return lines;
}

export function stageEndLine(r: StageReport): string {
    const o = r.outcome;
    const cand = o.split.versions.find((v) => v.version === r.spec.versions.candidate);
    const share = cand && r.spec.kind !== "dark-launch" ? ` · candidate share ${cand.observedPercent.toFixed(1)}% [${cand.ci.lower.toFixed(1)}, ${cand.ci.upper.toFixed(1)}]` : "";
    return `${r.spec.label}: ${o.verdict.toUpperCase()} after ${int(o.requests.completed)} requests in ${secs(r.judgeSeconds)}${share}`;
}

/** One line per event, for a log or a non-TTY terminal (undefined: nothing to print). */
export function eventLines(e: RolloutEvent): string[] | undefined {
    switch (e.type) {
        case "plan":
            return planLines(e.plan);
        case "stage-start":
            return [`${e.spec.label}: sampling ${e.target.url}${e.target.address ? ` via ${e.target.address}` : ""} (expect ${Object.entries(e.spec.expect).map(([v, p]) => `${v}=${p}`).join(",")})`];
        case "stage-end": {
            const o = e.report.outcome;
            return [stageEndLine(e.report), ...(o.verdict === "pass" ? [] : o.reasons.map((r) => `  · ${r}`))];
        }
        case "config":
            return [`stack file: rolloutPercent = ${e.percent} (${e.why})`];
        case "up-start":
            return [`pulumi up → ${e.percent}%${e.purpose === "rollback" ? " (rollback)" : ""} …`];
        case "up-end":
            return [`pulumi up → ${e.percent}%: ${e.ok ? "done" : "FAILED"} in ${secs(e.seconds)}`, ...(e.ok ? [] : e.message.split("\n").map((l) => `  | ${l}`))];
        case "rollback":
            return [`ROLLBACK to ${e.to}%: ${e.reason.split("\n")[0]}`];
        case "interrupt":
            return [
                e.count === 1
                    ? `${e.signal}: stopping safely (a running pulumi up finishes; no new one starts). Again to cancel the running update, a third time to exit at once.`
                    : e.count === 2
                      ? `${e.signal} again: cancelling the running pulumi up (Pulumi finishes in-flight operations and saves its state)`
                      : `${e.signal} a third time: exiting now`,
            ];
        case "agreement": {
            const a = e.agreement;
            return [
                `agreement at ${a.expected}%: stack file ${a.stackFile}%, state output ${a.stateOutput ?? "–"}%, state applied ${a.stateApplied ?? "–"}%, cluster ${a.cluster ?? "not read"}` +
                    `${a.cluster !== undefined ? "%" : ""}, live split ${a.liveSplit ? `${a.liveSplit.verdict} at ${a.liveSplit.percent}%` : "–"}: ${a.ok ? "OK" : "DISAGREE"}`,
                ...a.problems.map((p) => `  - ${p}`),
            ];
        }
        case "done":
            return [``, e.result.message, ...timingLines(e.result)];
        case "progress":
            return undefined;
    }
}

export function timingLines(r: RolloutResult): string[] {
    if (r.status === "invalid") return [];
    const t = r.timings;
    const requests = r.stages.map((s) => `${s.spec.label.replace(/ \(.*$/, "")}: ${int(s.outcome.requests.completed)}`).join(", ");
    return [
        `time: ${secs(t.totalMs / 1000)} in all; pulumi up ${secs(t.upMs / 1000)} (${t.ups} updates), judging ${secs(t.judgeMs / 1000)}`,
        ...(requests ? [`requests: ${requests}`] : []),
    ];
}

// ---------------------------------------------------------------------------------------------
// Markdown summary

function armCells(h: HealthEvidence | undefined, arm: "stable" | "candidate"): [string, string] {
    const a = h?.[arm];
    if (a === undefined || a.requests === 0) return ["–", "–"];
    return [`${pct(a.errorRate)} (${int(a.errors)}/${int(a.requests)})`, `${ms(a.p50Ms)} / ${ms(a.p95Ms)}`];
}

export function stageRow(r: StageReport): string {
    const o = r.outcome;
    const h = o.health?.evidence;
    const cand = o.split.versions.find((v) => v.version === r.spec.versions.candidate);
    const split =
        r.spec.kind === "dark-launch"
            ? cand
                ? `tag URL: ${cand.observedPercent.toFixed(1)}% from ${r.spec.versions.candidate}`
                : "–"
            : cand
              ? `${cand.observedPercent.toFixed(1)}% [${cand.ci.lower.toFixed(1)}, ${cand.ci.upper.toFixed(1)}]`
              : "–";
    const [se, sl] = armCells(h, "stable");
    const [ce, cl] = armCells(h, "candidate");
    const unattributed = h && h.unattributedErrors > 0 ? ` +${int(h.unattributedErrors)} unattr.` : "";
    const time = `${r.upSeconds !== undefined ? `up ${secs(r.upSeconds)} + ` : ""}${secs(r.judgeSeconds)}`;
    const verdict = o.verdict === "pass" ? "✅ pass" : o.verdict === "fail" ? "❌ fail" : o.verdict === "inconclusive" ? "⚠️ inconclusive" : "⏸ interrupted";
    return `| ${r.spec.label} | ${r.spec.percent}${r.spec.kind === "dark-launch" ? " (tag)" : ""} | ${int(o.requests.completed)} | ${split} | ${se} | ${ce}${unattributed} | ${sl} | ${cl} | ${verdict} | ${time} |`;
}

export function markdownSummary(r: RolloutResult): string {
    const p = r.plan;
    const title = {
        completed: "completed ✅",
        "stopped-at-dark-launch": "stopped at the dark launch ❌",
        "rolled-back": "rolled back ❌",
        "needs-attention": "NEEDS ATTENTION ⚠️",
        interrupted: "interrupted ⏸",
        invalid: "not started (bad input)",
    }[r.status];
    const lines = [`## Rollout${p ? ` of ${p.candidate} (stable ${p.stable})` : ""} on stack \`${r.stack}\`: ${title}`, ""];
    if (p) {
        lines.push(
            `${[`${p.current}%`, ...p.steps.map((s) => `${s}%`)].join(" → ")} · α = ${p.alpha.total} for the whole rollout · ` +
                `${r.timings.ups} × \`pulumi up\` ${secs(r.timings.upMs / 1000)} · judging ${secs(r.timings.judgeMs / 1000)} · total ${secs(r.timings.totalMs / 1000)}`,
            "",
        );
    }
    if (r.stages.length > 0) {
        lines.push(
            "| stage | % | requests | candidate share [interval] | errors stable | errors candidate | p50 / p95 stable | p50 / p95 candidate | decision | time |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            ...r.stages.map(stageRow),
            "",
        );
    }
    lines.push("```", r.message, "```", "");
    if (r.agreement) {
        const a = r.agreement;
        lines.push(
            `Agreement at ${a.expected}%: stack file ${a.stackFile}%, Pulumi state ${a.stateOutput ?? "–"}% (output) / ${a.stateApplied ?? "–"}% (applied), ` +
                `cluster ${a.cluster !== undefined ? `${a.cluster}%` : "not read"}, live split ${a.liveSplit ? `${a.liveSplit.verdict} at ${a.liveSplit.percent}%` : "–"}: **${a.ok ? "agree" : "DISAGREE"}**`,
            "",
        );
    }
    const why = r.stages.filter((s) => s.outcome.reasons.length > 0);
    if (why.length > 0) {
        lines.push("<details><summary>Why each stage decided</summary>", "");
        for (const s of why) {
            lines.push(`**${s.spec.label}**: ${s.outcome.verdict}`, "", ...s.outcome.reasons.map((x) => `- ${x.replace(/\n/g, " ")}`), "");
        }
        lines.push("</details>", "");
    }
    return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Samples file (JSON lines)

/** Lines of the samples file. */
export type SamplesLine =
    | { type: "rollout"; version: 1; stack: string; startedAt: string; plan: PlanSummary; judged: number[]; settings: unknown }
    | { type: "stage"; index: number; spec: StageSpec; planIndex?: number; target: { url: string; host?: string; address?: string } }
    | ({ type: "request"; stage: number } & RequestRecord)
    | { type: "verdict"; stage: number; verdict: string; requests: number; reasons: string[] };

/** Buffers lines and appends them to a file (synchronously, so an exit loses at most one buffer). */
export class LineFile {
    private buffer: string[] = [];
    private fd: number | undefined;

    constructor(readonly file: string) {}

    write(obj: unknown): void {
        this.buffer.push(JSON.stringify(obj));
        if (this.buffer.length >= 512) this.flush();
    }

    flush(): void {
        if (this.buffer.length === 0) return;
        if (this.fd === undefined) {
            fs.mkdirSync(path.dirname(this.file), { recursive: true });
            this.fd = fs.openSync(this.file, "w");
        }
        fs.writeSync(this.fd, this.buffer.join("\n") + "\n");
        this.buffer = [];
    }

    close(): void {
        this.flush();
        if (this.fd !== undefined) fs.closeSync(this.fd);
        this.fd = undefined;
    }
}

/** Where each stage sits in the health plan (-1 the dark launch), for a replay with other settings. */
export function planIndexOf(spec: StageSpec, plan: PlanSummary): number | undefined {
    if (spec.kind === "dark-launch") return -1;
    if (spec.kind !== "step" && spec.kind !== "resume") return undefined;
    const judged = plan.resume ? [plan.current, ...plan.steps] : plan.steps;
    return judged.indexOf(spec.percent);
}

// ---------------------------------------------------------------------------------------------
// Reporters

export interface ReporterOptions {
    out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    json: boolean;
    samples?: LineFile;
    /** Pulumi's output goes to this file as it comes (created at the first output). */
    log?: string;
    /** Settings written into the samples file's header (for the replay). */
    settings?: unknown;
    now?: () => number;
}

/** The reporter the command uses: the live view or JSON lines, plus the samples and log files. */
export class CommandReporter implements Reporter {
    private block: string[] = [];
    private stageStarted = 0;
    private lastJsonProgress = 0;
    private lastPlainProgress = 0;
    private plan: PlanSummary | undefined;
    private upTimer: NodeJS.Timeout | undefined;
    private upStarted = 0;
    private upPercent = 0;
    private lastPulumiLine = "";
    private logStream: fs.WriteStream | undefined;
    result: RolloutResult | undefined;

    constructor(private readonly o: ReporterOptions) {}

    private get tty(): boolean {
        return !this.o.json && this.o.out.isTTY === true;
    }

    private now(): number {
        return (this.o.now ?? Date.now)();
    }

    private print(lines: string[]) {
        if (this.o.json) return;
        this.clearBlock();
        this.o.out.write(lines.map((l) => l + "\n").join(""));
        this.drawBlock();
    }

    private clearBlock() {
        if (!this.tty || this.block.length === 0) return;
        this.o.out.write(`\x1b[${this.block.length}F\x1b[J`);
    }

    private drawBlock() {
        if (!this.tty || this.block.length === 0) return;
        const width = Math.max(40, (this.o.out.columns ?? 120) - 1);
        this.o.out.write(this.block.map((l) => (l.length > width ? l.slice(0, width - 1) + "…" : l) + "\n").join(""));
    }

    private setBlock(lines: string[]) {
        if (!this.tty) return;
        this.clearBlock();
        this.block = lines;
        this.drawBlock();
    }

    event(e: RolloutEvent): void {
        if (e.type === "plan") {
            this.plan = e.plan;
            this.o.samples?.write({
                type: "rollout",
                version: 1,
                stack: e.plan.stack,
                startedAt: new Date().toISOString(),
                plan: e.plan,
                judged: e.plan.resume ? [e.plan.current, ...e.plan.steps] : e.plan.steps,
                settings: this.o.settings,
            } satisfies SamplesLine);
        } else if (e.type === "stage-start") {
            this.stageStarted = this.lastPlainProgress = this.now();
            const planIndex = this.plan ? planIndexOf(e.spec, this.plan) : undefined;
            this.o.samples?.write({ type: "stage", index: e.index, spec: e.spec, ...(planIndex !== undefined ? { planIndex } : {}), target: e.target } satisfies SamplesLine);
        } else if (e.type === "stage-end") {
            const o = e.report.outcome;
            this.o.samples?.write({ type: "verdict", stage: e.report.index, verdict: o.verdict, requests: o.requests.completed, reasons: o.reasons } satisfies SamplesLine);
            this.o.samples?.flush();
            this.setBlock([]);
        } else if (e.type === "up-start") {
            this.upStarted = this.now();
            this.upPercent = e.percent;
            if (this.tty) {
                this.upTimer = setInterval(() => this.drawUp(), 500);
                this.upTimer.unref();
            }
        } else if (e.type === "up-end") {
            if (this.upTimer) clearInterval(this.upTimer);
            this.upTimer = undefined;
            this.setBlock([]);
        } else if (e.type === "done") {
            this.result = e.result;
            this.o.samples?.close();
        }

        if (this.o.json) {
            if (e.type === "progress") {
                const now = this.now();
                if (now - this.lastJsonProgress < 1000) return;
                this.lastJsonProgress = now;
            }
            this.o.out.write(JSON.stringify(e) + "\n");
            return;
        }
        if (e.type === "progress") {
            const lines = snapshotLines(e.snapshot, this.now() - this.stageStarted);
            if (this.tty) this.setBlock(lines);
            else if (this.now() - this.lastPlainProgress >= 10_000) {
                this.lastPlainProgress = this.now();
                this.print([lines[0], lines[1], ...lines.slice(2, 4)]);
            }
            return;
        }
        const lines = eventLines(e);
        if (lines) this.print(lines);
        if (e.type === "up-start") this.drawUp();
    }

    private drawUp() {
        const s = (this.now() - this.upStarted) / 1000;
        this.setBlock([`pulumi up → ${this.upPercent}% · ${secs(s)}${this.lastPulumiLine ? ` · ${this.lastPulumiLine}` : ""}`]);
    }

    pulumiOutput(text: string): void {
        if (this.o.log !== undefined) {
            if (this.logStream === undefined) {
                fs.mkdirSync(path.dirname(this.o.log), { recursive: true });
                this.logStream = fs.createWriteStream(this.o.log);
            }
            this.logStream.write(text);
        }
        const last = text.split("\n").map((l) => l.trim()).filter((l) => l !== "").pop();
        if (last) this.lastPulumiLine = last.slice(0, 80);
    }

    record(index: number, r: RequestRecord): void {
        this.o.samples?.write({ type: "request", stage: index, ...r } satisfies SamplesLine);
    }

    /** Stops timers and flushes files (on exit); resolves once the log is written. */
    close(): Promise<void> {
        if (this.upTimer) clearInterval(this.upTimer);
        this.setBlock([]);
        this.o.samples?.close();
        const log = this.logStream;
        this.logStream = undefined;
        return log ? new Promise((resolve) => log.end(resolve)) : Promise.resolve();
    }
}
