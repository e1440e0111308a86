/**
 * npm run verify -- --replay FILE [--stage N] [--settings FILE] [--alpha A] [--json]
 *
 * Re-judges the stages of a rollout from its samples file (JSON lines written by `npm run rollout`:
 * the rollout, each stage's spec, every request in the order the judgment saw it, each verdict),
 * with the recorded settings or other ones. The same code judges (rollout/stage.ts), so with the
 * recorded settings a replay gives the recorded verdicts. Other settings re-plan the α spending
 * over the same steps (rollout/plan.ts `alphaPlan`, rollout/judge `planHealth`).
 *
 * What a replay cannot do: send more requests. A live stage stopped at its decision, so settings
 * that need more evidence find the recorded sample too short and say "inconclusive".
 */
import * as fs from "node:fs";
import { planHealth, type HealthSettings, type StagePlan } from "../rollout/judge";
import { alphaPlan, splitSettingsAt } from "../rollout/plan";
import type { SamplesLine } from "../rollout/report";
import { judgeRecords, type RequestRecord, type StageOutcome, type StageSpec } from "../rollout/stage";

export interface RecordedStage {
    index: number;
    spec: StageSpec;
    planIndex?: number;
    target: { url: string; host?: string; address?: string };
    records: RequestRecord[];
    verdict?: string;
}

export interface Recording {
    stack: string;
    judged: number[];
    settings?: HealthSettings;
    stages: RecordedStage[];
}

/** Parses a samples file; throws naming the first bad line. */
export function readRecording(text: string): Recording {
    let header: Extract<SamplesLine, { type: "rollout" }> | undefined;
    const stages = new Map<number, RecordedStage>();
    text.split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        let obj: SamplesLine;
        try {
            obj = JSON.parse(line);
        } catch {
            throw new Error(`line ${i + 1} is not JSON`);
        }
        switch (obj.type) {
            case "rollout":
                header = obj;
                break;
            case "stage":
                stages.set(obj.index, { index: obj.index, spec: obj.spec, ...(obj.planIndex !== undefined ? { planIndex: obj.planIndex } : {}), target: obj.target, records: [] });
                break;
            case "request": {
                const s = stages.get(obj.stage);
                if (s === undefined) throw new Error(`line ${i + 1}: a request of stage ${obj.stage} before its stage line`);
                const { type: _t, stage: _s, ...record } = obj;
                s.records.push(record);
                break;
            }
            case "verdict": {
                const s = stages.get(obj.stage);
                if (s) s.verdict = obj.verdict;
                break;
            }
            default:
                throw new Error(`line ${i + 1}: unknown line type ${JSON.stringify((obj as { type?: unknown }).type)}`);
        }
    });
    if (header === undefined) throw new Error(`no "rollout" line: not a samples file written by npm run rollout`);
    return { stack: header.stack, judged: header.judged, ...(header.settings ? { settings: header.settings as HealthSettings } : {}), stages: [...stages.values()] };
}

export interface ReplayedStage {
    index: number;
    label: string;
    recorded?: string;
    records: number;
    outcome: StageOutcome;
}

/**
 * The stages re-judged. Without `settings` each stage is judged on its recorded spec; with them,
 * the health plan and the split α are planned again over the recorded steps.
 */
export function replay(rec: Recording, options: { settings?: HealthSettings; stage?: number } = {}): ReplayedStage[] {
    let replan: ((s: RecordedStage) => StageSpec) | undefined;
    if (options.settings !== undefined) {
        const alpha = alphaPlan(rec.judged, options.settings.alpha);
        const health = planHealth(rec.judged, { ...options.settings, alpha: alpha.health });
        const healthOf = (i: number | undefined): StagePlan | undefined => (i === undefined ? undefined : i === -1 ? health.darkLaunch : health.stepPlans[i]);
        replan = (s) => {
            const h = s.spec.health ? healthOf(s.planIndex) : undefined;
            const split = s.spec.kind === "step" || s.spec.kind === "resume" ? splitSettingsAt(s.spec.percent, alpha) : s.spec.split;
            return { ...s.spec, ...(h ? { health: h, maxRequests: h.maxRequests } : {}), split };
        };
    }
    return rec.stages
        .filter((s) => options.stage === undefined || s.index === options.stage)
        .map((s) => {
            const spec = replan ? replan(s) : s.spec;
            const target = { url: s.target.url, host: s.target.host ?? new URL(s.target.url).host, ...(s.target.address ? { address: s.target.address } : {}) };
            return { index: s.index, label: s.spec.label, ...(s.verdict ? { recorded: s.verdict } : {}), records: s.records.length, outcome: judgeRecords(spec, s.records, target) };
        });
}

export function formatReplay(rec: Recording, stages: ReplayedStage[], changed: boolean): string {
    const lines = [`replay of a rollout on stack ${rec.stack} (steps ${rec.judged.join(", ")}), ${changed ? "with other settings" : "with the recorded settings"}:`, ""];
    for (const s of stages) {
        const o = s.outcome;
        lines.push(
            `stage ${s.index}: ${s.label}: recorded ${s.recorded ?? "?"}, replayed ${o.verdict.toUpperCase()} ` +
                `(${o.requests.completed} of the ${s.records} recorded requests judged)`,
        );
        for (const r of o.reasons) lines.push(`  · ${r}`);
        if (o.verdict === "inconclusive" && s.records <= o.requests.completed) lines.push(`  · the recorded sample ended here: a replay cannot send more requests`);
        lines.push("");
    }
    return lines.join("\n");
}

export interface ReplayCliOptions {
    file: string;
    stage?: number;
    settings?: HealthSettings;
}

/** The replay command: the report, and 0 when every replayed stage passes, 1 when one fails, 2 otherwise. */
export function runReplay(o: ReplayCliOptions, json: boolean): { text: string; exitCode: number } {
    const rec = readRecording(fs.readFileSync(o.file, "utf8"));
    if (o.stage !== undefined && !rec.stages.some((s) => s.index === o.stage)) {
        throw new Error(`--stage ${o.stage}: the file has stages ${rec.stages.map((s) => s.index).join(", ")}`);
    }
    const stages = replay(rec, { ...(o.settings ? { settings: o.settings } : {}), ...(o.stage !== undefined ? { stage: o.stage } : {}) });
    const verdicts = stages.map((s) => s.outcome.verdict);
    const exitCode = verdicts.includes("fail") ? 1 : verdicts.every((v) => v === "pass") ? 0 : 2;
    const text = json
        ? JSON.stringify({ stack: rec.stack, judged: rec.judged, stages: stages.map((s) => ({ ...s, outcome: { ...s.outcome, spec: undefined } })) }) + "\n"
        : formatReplay(rec, stages, o.settings !== undefined);
    return { text, exitCode };
}
