/**
 * The rollout driver: a small state machine over the workspace seam (rollout/workspace.ts).
 *
 *   check input (config through the program's parser, steps, deployed = stack file) ── bad → exit 2
 *   dark launch: candidate revision Ready, then judged alone through its tag URL ── fail → stop (1)
 *   [resume check: the current percent judged as it stands, when it is above 0]
 *   per step: write rolloutPercent → pulumi up → judge split + health on live traffic
 *       pass → last verified = step          fail / inconclusive / failed up → rollback
 *   rollback: rolloutPercent = last verified (0 if none) → pulumi up → split check → agreement (1, or 3)
 *   end: agreement of stack file, Pulumi state (outputs and the applied table) and live split (0, or 3)
 *
 * Interruption (SIGINT/SIGTERM, `Interrupts`): the first signal stops a sample at once and lets a
 * running `pulumi up` finish (a terminal's Ctrl-C reaches Pulumi too, which then cancels
 * gracefully: in-flight operations finish and the state is saved); no new update starts. The
 * stack file is then set to what the state records as applied, so file, state and cluster agree,
 * and the result says where the rollout stands and how to resume. A second signal cancels the
 * running update (SIGINT to Pulumi). Exit 130 (SIGINT) or 143 (SIGTERM).
 *
 * Every decision is made here or in pure functions (plan.ts, stage.ts); I/O is behind `deps`.
 */
import { revisionName, type ConfigContext } from "../model";
import type { HealthSettings } from "./judge";
import { candidatePercent, checkStage, InputError, planRollout, type RolloutOptions, type RolloutPlan } from "./plan";
import type { HttpTarget, RunStageOptions, SampleBudget } from "./sampling";
import type { RequestRecord, StageOutcome, StageSnapshot, StageSpec } from "./stage";
import { StackNotFoundError, type ClusterView, type RolloutWorkspace } from "./workspace";

export type ExitCode = 0 | 1 | 2 | 3 | 130 | 143;

export type RolloutStatus =
    /** Every step passed. */
    | "completed"
    /** The candidate failed its dark launch: it never got user traffic. */
    | "stopped-at-dark-launch"
    /** A stage failed (or could not be judged) and the stack was rolled back to the last verified percent. */
    | "rolled-back"
    /** A rollback or the final agreement check failed: a human must look (the message says what). */
    | "needs-attention"
    | "interrupted"
    /** Bad input: nothing was changed. */
    | "invalid";

/** One stage as the reports show it. */
export interface StageReport {
    index: number;
    spec: StageSpec;
    outcome: StageOutcome;
    /** Seconds spent sampling, and in the `pulumi up` that preceded it (steps and rollbacks). */
    judgeSeconds: number;
    upSeconds?: number;
}

export interface Agreement {
    expected: number;
    /** The stack file's rolloutPercent (`pulumi config get`). */
    stackFile: number;
    /** The Pulumi state: the stack output `traffic` and the table the traffic patch applied. */
    stateOutput?: number;
    stateApplied?: number;
    /** The Service's spec.traffic in the cluster (undefined if it could not be read). */
    cluster?: number;
    /** The split measured on live traffic, and the verifier's verdict on it. */
    liveSplit?: { percent: number; verdict: string; interval?: { lower: number; upper: number } };
    ok: boolean;
    problems: string[];
}

export interface Timings {
    totalMs: number;
    upMs: number;
    judgeMs: number;
    ups: number;
}

export interface RolloutResult {
    exitCode: ExitCode;
    status: RolloutStatus;
    stack: string;
    /** Lines for the user: what happened, where the stack stands, what to do next. */
    message: string;
    plan?: PlanSummary;
    /** The candidate's percent at the end (as applied), and the last percent judged healthy in this run. */
    finalPercent?: number;
    lastVerified?: number;
    stages: StageReport[];
    agreement?: Agreement;
    timings: Timings;
    resumeCommand?: string;
}

export interface PlanSummary {
    stack: string;
    stable: string;
    candidate: string;
    current: number;
    steps: number[];
    resume: boolean;
    alpha: RolloutPlan["alpha"];
    stages: { label: string; percent: number; mode?: string; alpha?: number; splitAlpha: number; maxRequests: number }[];
    serviceTarget: HttpTarget;
    candidateTarget: HttpTarget;
}

export type RolloutEvent =
    | { type: "plan"; plan: PlanSummary }
    | { type: "stage-start"; index: number; spec: StageSpec; target: HttpTarget }
    | { type: "progress"; index: number; snapshot: StageSnapshot }
    | { type: "stage-end"; report: StageReport }
    | { type: "config"; percent: number; why: string }
    | { type: "up-start"; percent: number; purpose: "step" | "rollback" }
    | { type: "up-end"; percent: number; purpose: "step" | "rollback"; ok: boolean; seconds: number; message: string }
    | { type: "rollback"; to: number; reason: string }
    | { type: "interrupt"; signal: string; count: number }
    | { type: "agreement"; agreement: Agreement }
    | { type: "done"; result: RolloutResult };

/** Where events, Pulumi's output and every request go (the live view, JSON, log and samples files). */
export interface Reporter {
    event(e: RolloutEvent): void;
    pulumiOutput(text: string): void;
    record(index: number, r: RequestRecord): void;
}

/** SIGINT/SIGTERM as the driver sees them. */
export interface Interrupts {
    /** Aborted at the first signal: samples stop, no new update starts. */
    readonly first: AbortSignal;
    /** Aborted at the second: the running update is cancelled. */
    readonly second: AbortSignal;
    /** The first signal's name. */
    readonly name: () => "SIGINT" | "SIGTERM" | undefined;
}

export interface RolloutDeps {
    openWorkspace: (stack: string) => Promise<RolloutWorkspace>;
    /** The cluster view for a config (its kubeconfig and context). */
    cluster: (access: { kubeconfig?: string; context?: string }) => ClusterView;
    runStage: (o: RunStageOptions) => Promise<StageOutcome>;
    versionExists: ConfigContext["versionExists"];
    reporter: Reporter;
    interrupts: Interrupts;
    now: () => number;
}

export interface RolloutRequest extends Omit<RolloutOptions, "settings"> {
    settings: HealthSettings;
    /** How the user ran the command, for the resume line (default `npm run rollout --`). */
    command?: string;
}

/** How long a stage may wait for the app's first answer before sampling (a revision scaled to zero). */
export const WARM_UP_MS = 60_000;

const emptyTimings = (): Timings => ({ totalMs: 0, upMs: 0, judgeMs: 0, ups: 0 });

export function summarizePlan(plan: RolloutPlan): PlanSummary {
    return {
        stack: plan.stack,
        stable: plan.config.stableVersion ?? "",
        candidate: plan.config.candidateVersion,
        current: plan.current,
        steps: plan.steps,
        resume: plan.resume,
        alpha: plan.alpha,
        stages: [plan.darkLaunch, ...plan.stages].map((s) => ({
            label: s.label,
            percent: s.percent,
            mode: s.health?.mode,
            alpha: s.health?.alpha,
            splitAlpha: s.percent > 0 && s.percent < 100 ? s.split.alpha : 0,
            maxRequests: s.maxRequests,
        })),
        serviceTarget: plan.serviceTarget,
        candidateTarget: plan.candidateTarget,
    };
}

/** Runs a rollout to its end. Never throws for what it can report; the exit code says how it ended. */
export async function runRollout(request: RolloutRequest, deps: RolloutDeps): Promise<RolloutResult> {
    const started = deps.now();
    const invalid = (message: string): RolloutResult => {
        const result: RolloutResult = { exitCode: 2, status: "invalid", stack: request.stack, message, stages: [], timings: { ...emptyTimings(), totalMs: deps.now() - started } };
        deps.reporter.event({ type: "done", result });
        return result;
    };
    let ws: RolloutWorkspace;
    let plan: RolloutPlan;
    try {
        ws = await deps.openWorkspace(request.stack);
        const [raw, outputs] = await Promise.all([ws.readConfig(), ws.outputs()]);
        plan = planRollout({ options: request, raw, ctx: { versionExists: deps.versionExists }, outputs });
    } catch (e) {
        if (e instanceof InputError || e instanceof StackNotFoundError) return invalid((e as Error).message);
        throw e;
    }
    return new Run(request, plan, ws, deps, started).execute();
}

class Run {
    private readonly stages: StageReport[] = [];
    private readonly timings = emptyTimings();
    /** What the cluster has, as far as this run knows (the state after its last update). */
    private applied: number;
    private lastVerified = 0;
    private where = "before the dark launch";
    private stageIndex = 0;
    private readonly cluster: ClusterView;
    private readonly summary: PlanSummary;

    constructor(
        private readonly request: RolloutRequest,
        private readonly plan: RolloutPlan,
        private readonly ws: RolloutWorkspace,
        private readonly deps: RolloutDeps,
        private readonly started: number,
    ) {
        this.applied = plan.current;
        this.cluster = deps.cluster({ kubeconfig: plan.config.kubeconfig, context: plan.config.kubeContext });
        this.summary = summarizePlan(plan);
    }

    private get interrupted(): boolean {
        return this.deps.interrupts.first.aborted;
    }

    private emit(e: RolloutEvent) {
        this.deps.reporter.event(e);
    }

    async execute(): Promise<RolloutResult> {
        try {
            return await this.steps();
        } catch (e) {
            // Something the driver cannot judge (the CLI could not write the stack file, the backend
            // went away): say where the stack stood as far as this run knows.
            return this.finish(
                "needs-attention",
                3,
                `the rollout stopped on an error ${this.where}: ${(e as Error).message}\n` +
                    `as far as this run knows, ${this.applied}% is applied (last verified ${this.lastVerified}%); ` +
                    `check with: pulumi config get --stack ${this.plan.stack} knative-rollout:rolloutPercent; pulumi stack output --stack ${this.plan.stack} traffic`,
            );
        }
    }

    private async steps(): Promise<RolloutResult> {
        const { plan } = this;
        this.emit({ type: "plan", plan: this.summary });
        if (this.interrupted) return this.stopInterrupted();

        // 1. Dark launch: Ready, then alone through the tag URL. No user traffic moves before it passes.
        this.where = "in the dark launch";
        const dark = await this.darkLaunch();
        if (dark.verdict === "interrupted") return this.stopInterrupted();
        if (dark.verdict !== "pass") {
            const reason = `the dark launch ${dark.verdict === "fail" ? "failed" : "could not judge the candidate"}: ${headline(dark)}`;
            if (plan.current === 0) return this.stopAtDarkLaunch(reason);
            return this.rollback(0, reason);
        }

        // 2. The resume check and the steps.
        for (const spec of plan.stages) {
            if (this.interrupted) return this.stopInterrupted();
            this.where = spec.kind === "resume" ? `in the ${spec.label}` : `at ${spec.label}`;
            let upSeconds: number | undefined;
            if (spec.kind === "step") {
                await this.ws.setPercent(spec.percent);
                this.emit({ type: "config", percent: spec.percent, why: `${spec.label}` });
                const up = await this.up(spec.percent, "step");
                upSeconds = up.seconds;
                if (!up.ok) {
                    await this.reconcile(spec.percent, this.interrupted);
                    if (this.interrupted) return this.stopInterrupted();
                    return this.rollback(this.lastVerified, `pulumi up to ${spec.percent}% failed:\n${indent(up.message)}`);
                }
                this.applied = spec.percent;
                if (this.interrupted) return this.stopInterrupted();
            }
            const outcome = await this.judge(spec, plan.serviceTarget, plan.budget, upSeconds);
            if (outcome.verdict === "interrupted") return this.stopInterrupted();
            if (outcome.verdict !== "pass") {
                return this.rollback(this.lastVerified, `${spec.label} ${outcome.verdict === "fail" ? "failed" : "could not be judged (inconclusive: never a pass)"}: ${headline(outcome)}`);
            }
            this.lastVerified = spec.percent;
        }

        // 3. Done: the last step's sample is the live split at the final percent.
        const last = this.stages[this.stages.length - 1].outcome;
        const agreement = await this.agreement(this.applied, last);
        const steps = plan.steps.join(" → ");
        if (!agreement.ok) {
            return this.finish("needs-attention", 3, `every step passed (${plan.current} → ${steps}), but the final check found a disagreement:\n${agreement.problems.map((p) => `  - ${p}`).join("\n")}`, agreement);
        }
        return this.finish(
            "completed",
            0,
            `rollout of ${plan.config.candidateVersion} completed: ${plan.current}% → ${steps}%, every stage judged healthy; ` +
                `stack file, Pulumi state and live split agree at ${this.applied}%`,
            agreement,
        );
    }

    private async darkLaunch(): Promise<StageOutcome> {
        const { plan } = this;
        const revision = revisionName(plan.config.serviceName, plan.config.candidateVersion);
        let ready: { ready: boolean; problems: string[] };
        try {
            ready = await this.cluster.revisionReady(plan.config.namespace, revision);
        } catch (e) {
            ready = { ready: false, problems: [`could not read Revision ${plan.config.namespace}/${revision}: ${(e as Error).message}`] };
        }
        if (!ready.ready) {
            // Not Ready: judged failed without a request (nothing could answer for it).
            const outcome = notReadyOutcome(plan.darkLaunch, ready.problems, plan.candidateTarget);
            this.emit({ type: "stage-start", index: this.stageIndex, spec: plan.darkLaunch, target: plan.candidateTarget });
            const report: StageReport = { index: this.stageIndex++, spec: plan.darkLaunch, outcome, judgeSeconds: 0 };
            this.stages.push(report);
            this.emit({ type: "stage-end", report });
            return outcome;
        }
        return this.judge(plan.darkLaunch, plan.candidateTarget, plan.budget);
    }

    private async judge(spec: StageSpec, target: HttpTarget, budget: SampleBudget, upSeconds?: number): Promise<StageOutcome> {
        const index = this.stageIndex++;
        this.emit({ type: "stage-start", index, spec, target });
        const t0 = this.deps.now();
        const outcome = await this.deps.runStage({
            spec,
            target,
            budget,
            warmUpMs: WARM_UP_MS,
            signal: this.deps.interrupts.first,
            onRecord: (r) => this.deps.reporter.record(index, r),
            onProgress: (snapshot) => this.emit({ type: "progress", index, snapshot }),
        });
        const ms = this.deps.now() - t0;
        this.timings.judgeMs += ms;
        const report: StageReport = { index, spec, outcome, judgeSeconds: ms / 1000, ...(upSeconds !== undefined ? { upSeconds } : {}) };
        this.stages.push(report);
        this.emit({ type: "stage-end", report });
        return outcome;
    }

    private async up(percent: number, purpose: "step" | "rollback"): Promise<{ ok: boolean; message: string; seconds: number }> {
        this.emit({ type: "up-start", percent, purpose });
        const t0 = this.deps.now();
        const r = await this.ws.up({ onOutput: (s) => this.deps.reporter.pulumiOutput(s), signal: this.deps.interrupts.second });
        const ms = this.deps.now() - t0;
        this.timings.upMs += ms;
        this.timings.ups++;
        this.emit({ type: "up-end", percent, purpose, ok: r.ok, seconds: ms / 1000, message: r.message });
        return { ...r, seconds: ms / 1000 };
    }

    /**
     * After an update that did not complete: what does the state record as applied? The stack
     * file is set to it when `writeConfig` (an interruption), so file and state agree.
     */
    private async reconcile(target: number, writeConfig: boolean): Promise<void> {
        let applied: number | undefined;
        try {
            applied = candidatePercent(await this.ws.appliedTraffic());
        } catch {
            applied = undefined;
        }
        this.applied = applied ?? this.applied;
        if (writeConfig && this.applied !== target) {
            await this.ws.setPercent(this.applied);
            this.emit({ type: "config", percent: this.applied, why: `the update to ${target}% did not complete; the state records ${this.applied}% as applied` });
        }
    }

    private async rollback(to: number, reason: string): Promise<RolloutResult> {
        this.emit({ type: "rollback", to, reason });
        this.where = `in the rollback to ${to}%`;
        await this.ws.setPercent(to);
        this.emit({ type: "config", percent: to, why: `rollback to the last verified percent` });
        const up = await this.up(to, "rollback");
        if (!up.ok) {
            await this.reconcile(to, false);
            if (this.interrupted) return this.stopInterrupted(reason);
            return this.finish(
                "needs-attention",
                3,
                `${reason}\nthe rollback to ${to}% FAILED (pulumi up):\n${indent(up.message)}\n` +
                    `the stack file says ${to}%; the state records ${this.applied}% as applied. Finish the rollback: pulumi up --stack ${this.plan.stack}`,
            );
        }
        this.applied = to;
        if (this.interrupted) return this.stopInterrupted(reason);
        const check = await this.judge(checkStage(this.plan, "rollback-check", to), this.plan.serviceTarget, this.plan.checkBudget, up.seconds);
        if (check.verdict === "interrupted") return this.stopInterrupted(reason);
        const agreement = await this.agreement(to, check);
        if (!agreement.ok) {
            return this.finish("needs-attention", 3, `${reason}\nrolled back to ${to}%, but the check after it found a disagreement:\n${agreement.problems.map((p) => `  - ${p}`).join("\n")}`, agreement);
        }
        return this.finish("rolled-back", 1, `${reason}\nrolled back to ${to}% (the last verified percent); stack file, Pulumi state and live split agree at ${to}%`, agreement);
    }

    private async stopAtDarkLaunch(reason: string): Promise<RolloutResult> {
        // Nothing moved; the check confirms users still get none of the candidate.
        const check = await this.judge(checkStage(this.plan, "final-check", this.applied), this.plan.serviceTarget, this.plan.checkBudget);
        if (check.verdict === "interrupted") return this.stopInterrupted(reason);
        const agreement = await this.agreement(this.applied, check);
        if (!agreement.ok) {
            return this.finish("needs-attention", 3, `${reason}\nnothing was changed, but the check found a disagreement:\n${agreement.problems.map((p) => `  - ${p}`).join("\n")}`, agreement);
        }
        return this.finish("stopped-at-dark-launch", 1, `${reason}\nthe candidate ${this.plan.config.candidateVersion} never received user traffic: the stack stays at ${this.applied}%`, agreement);
    }

    /** Stack file, Pulumi state and live split (and the cluster's spec.traffic, if readable) at `expected`. */
    private async agreement(expected: number, sample: StageOutcome | undefined): Promise<Agreement> {
        const problems: string[] = [];
        const stackFile = await this.ws.getPercent();
        const outputs = await this.ws.outputs();
        const stateOutput = candidatePercent(outputs.traffic);
        const stateApplied = candidatePercent(await this.ws.appliedTraffic());
        let cluster: number | undefined;
        try {
            cluster = candidatePercent(await this.cluster.liveTraffic(this.plan.config.namespace, this.plan.config.serviceName));
        } catch (e) {
            cluster = undefined;
            void e;
        }
        if (stackFile !== expected) problems.push(`the stack file says rolloutPercent ${stackFile}, expected ${expected}`);
        if (stateOutput !== expected) problems.push(`the stack output traffic gives the candidate ${stateOutput ?? "nothing"}%, expected ${expected}`);
        if (stateApplied !== undefined && stateApplied !== expected) problems.push(`the state's applied traffic table gives the candidate ${stateApplied}%, expected ${expected}`);
        if (cluster !== undefined && cluster !== expected) problems.push(`the Service's spec.traffic in the cluster gives the candidate ${cluster}%, expected ${expected}`);
        let liveSplit: Agreement["liveSplit"];
        if (sample === undefined) {
            problems.push(`no live split was measured`);
        } else {
            const row = sample.split.versions.find((v) => v.version === this.plan.config.candidateVersion);
            liveSplit = { percent: sample.spec.percent, verdict: sample.split.verdict, ...(row ? { interval: row.ci } : {}) };
            if (sample.spec.percent !== expected || sample.split.verdict !== "match") {
                problems.push(`the live split at ${sample.spec.percent}% was judged "${sample.split.verdict}": ${sample.split.reason}`);
            }
        }
        const agreement: Agreement = {
            expected,
            stackFile,
            ...(stateOutput !== undefined ? { stateOutput } : {}),
            ...(stateApplied !== undefined ? { stateApplied } : {}),
            ...(cluster !== undefined ? { cluster } : {}),
            ...(liveSplit ? { liveSplit } : {}),
            ok: problems.length === 0,
            problems,
        };
        this.emit({ type: "agreement", agreement });
        return agreement;
    }

    private async stopInterrupted(reason?: string): Promise<RolloutResult> {
        const signal = this.deps.interrupts.name() ?? "SIGINT";
        // Where the stack stands: the file must say what the state applied.
        let stackFile: number | undefined;
        try {
            stackFile = await this.ws.getPercent();
            if (stackFile !== this.applied) {
                await this.ws.setPercent(this.applied);
                this.emit({ type: "config", percent: this.applied, why: `interrupted: the stack file follows what is applied (${this.applied}%)` });
                stackFile = this.applied;
            }
        } catch {
            stackFile = undefined;
        }
        // A signal that reached Pulumi's plugins too (Ctrl-C reaches the whole process group) can
        // leave an operation done in the cluster but not recorded: say so when the cluster differs.
        let cluster: number | undefined;
        try {
            cluster = candidatePercent(await this.cluster.liveTraffic(this.plan.config.namespace, this.plan.config.serviceName));
        } catch {
            cluster = undefined;
        }
        const remaining = this.plan.steps.filter((p) => p > this.applied);
        const cmd = this.request.command ?? "npm run rollout --";
        const resumeCommand =
            remaining.length > 0
                ? `${cmd} --stack ${this.plan.stack}${this.request.steps !== undefined ? ` --steps ${remaining.join(",")}` : ""}`
                : undefined;
        const verified = this.applied === this.lastVerified;
        const lines = [
            `interrupted (${signal}) ${this.where}${reason ? ` (${reason.split("\n")[0]})` : ""}.`,
            `the stack stands at ${this.applied}%: the stack file says ${stackFile ?? "?"}%, the Pulumi state records ${this.applied}%` +
                (verified ? ` (judged healthy in this run)` : this.applied > 0 ? ` (applied, not judged yet)` : ``) +
                `; last verified in this run: ${this.lastVerified}%.`,
        ];
        if (cluster !== undefined && cluster !== this.applied) {
            lines.push(
                `WARNING: the Service's spec.traffic in the cluster gives the candidate ${cluster}%, the state ${this.applied}%: ` +
                    `\`pulumi up --stack ${this.plan.stack}\` (it refreshes first) sets the cluster to the stack file's ${stackFile ?? this.applied}% before you go on`,
            );
        }
        if (resumeCommand) {
            lines.push(`to continue: ${resumeCommand}` + (this.applied > 0 ? `  (it judges ${this.applied}% as it stands first, then ${remaining.join(", ")})` : ""));
        }
        if (this.applied !== this.lastVerified) {
            lines.push(
                `to roll back instead: pulumi config set --stack ${this.plan.stack} --type int knative-rollout:rolloutPercent ${this.lastVerified} && pulumi up --stack ${this.plan.stack}`,
            );
        }
        return this.finish("interrupted", signal === "SIGTERM" ? 143 : 130, lines.join("\n"), undefined, resumeCommand);
    }

    private finish(status: RolloutStatus, exitCode: ExitCode, message: string, agreement?: Agreement, resumeCommand?: string): RolloutResult {
        this.timings.totalMs = this.deps.now() - this.started;
        const result: RolloutResult = {
            exitCode,
            status,
            stack: this.plan.stack,
            message,
            plan: this.summary,
            finalPercent: this.applied,
            lastVerified: this.lastVerified,
            stages: this.stages,
            ...(agreement ? { agreement } : {}),
            timings: this.timings,
            ...(resumeCommand ? { resumeCommand } : {}),
        };
        this.emit({ type: "done", result });
        return result;
    }
}

function indent(text: string): string {
    return text
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n");
}

/** The first reason that explains a verdict: a decided test for a failure, else the first line. */
export function headline(o: StageOutcome): string {
    const decisive = o.reasons.find((r) => /ABORT/.test(r)) ?? (o.split.verdict === "mismatch" ? `split: ${o.split.reason}` : undefined);
    return decisive ?? o.reasons[0] ?? o.verdict;
}

/** A dark launch that could not start: the candidate is not Ready. */
function notReadyOutcome(spec: StageSpec, problems: string[], target: HttpTarget): StageOutcome {
    const requests = { sent: 0, completed: 0, cancelled: 0, elapsedMs: 0, stoppedBy: "observer" as const };
    return {
        spec,
        verdict: "fail",
        reasons: [`the candidate is not Ready: ${problems.join("; ")}`],
        split: {
            url: target.url,
            host: target.host ?? new URL(target.url).host,
            verdict: "error",
            exitCode: 2,
            reason: "not sampled: the candidate is not Ready",
            method: "none",
            test: { description: "", alpha: spec.split.alpha, power: spec.split.power, minEffectPoints: spec.split.delta * 100, ciLevel: 1 - spec.split.alpha, ciMethod: "clopper-pearson" },
            versions: [],
            classified: 0,
            errors: { connection: 0, timeout: 0, serverError: 0, unclassifiable: 0, otherVersions: {}, total: 0, rate: 0, examples: [] },
            maxErrorRate: 0,
            requests,
            checks: [],
        },
        requests,
    };
}
