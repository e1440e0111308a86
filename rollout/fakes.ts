/**
 * Fakes for the driver's tests: a stack (its file, its state, its cluster) behind the workspace
 * seam, and a live-traffic stand-in that answers from what the fake cluster has applied, so a
 * test that measures the split after a rollback measures the cluster, not the driver's intent.
 * The stages are judged by the real code (rollout/stage.ts) on synthetic requests.
 */
import { revisionName, tagHostLabel, trafficTable, type RawConfig, type TrafficTarget } from "../model";
import type { Interrupts, Reporter, RolloutDeps, RolloutEvent } from "./driver";
import type { RunStageOptions } from "./sampling";
import { concludeStage, initialStage, judgeRecords, splitPlanOf, type RequestRecord, type StageOutcome, type StageSpec } from "./stage";
import { StackNotFoundError, type ClusterView, type RolloutWorkspace, type StackOutputs, type UpOptions, type UpResult } from "./workspace";

/** How the candidate behaves at a given traffic percent (0: through its tag URL). */
export interface Behaviour {
    /** Every n-th candidate answer is a 500 that names no version. */
    errorEvery?: number;
    /** Added to the candidate's latency, in ms. */
    extraMs?: number;
}

export type UpScript = (percent: number, call: number, stack: FakeStack) => "ok" | "fail-before-apply" | "fail-after-apply" | "ok-without-apply";

export const BASE_CONFIG: RawConfig = {
    stableVersion: "v2",
    candidateVersion: "v3",
    rolloutPercent: "0",
    registry: "127.0.0.1:5000",
    allowedRolloutSteps: "[0,10,25,50,100]",
    verify: JSON.stringify({ address: "127.0.0.1:8080", host: "helloworld-python.revs.example.com" }),
};

const SERVICE = "helloworld-python";

/** Synthetic live traffic at `percent` (exact proportions, deterministic jitter). */
export function syntheticRecords(n: number, percent: number, candidate: Behaviour, versions: { stable: string; candidate: string }): RequestRecord[] {
    const out: RequestRecord[] = [];
    let acc = 0;
    let seen = 0;
    for (let i = 0; i < n; i++) {
        acc += percent;
        const isCandidate = acc >= 100;
        if (isCandidate) acc -= 100;
        const latencyMs = 8 + ((i * 7919) % 13) * 0.5;
        if (!isCandidate) {
            out.push({ t: i, status: 200, version: versions.stable, latencyMs });
            continue;
        }
        seen++;
        if (candidate.errorEvery !== undefined && seen % candidate.errorEvery === 0) out.push({ t: i, status: 500, latencyMs: 3 });
        else out.push({ t: i, status: 200, version: versions.candidate, latencyMs: latencyMs + (candidate.extraMs ?? 0) });
    }
    return out;
}

/** A stack: the file, the state (outputs of the last successful up, the applied table) and the cluster. */
export class FakeStack {
    file: RawConfig;
    /** The stack outputs' percent (only a successful up writes it). */
    outputsPercent: number;
    /** The traffic patch's percent in the state, and the cluster's. */
    appliedPercent: number;
    /** The candidate version the last successful update deployed. */
    deployedCandidate: string;
    exists = true;
    candidateReady = true;
    /** Calls in order: "config 25", "up 25", "judge step 2 of 4 (25%)", ... */
    readonly log: string[] = [];
    upCalls = 0;

    constructor(
        raw: Partial<RawConfig> = {},
        public upScript: UpScript = () => "ok",
        public behaviour: (percent: number) => Behaviour = () => ({}),
    ) {
        this.file = { ...BASE_CONFIG, ...raw };
        this.outputsPercent = this.appliedPercent = Number(this.file.rolloutPercent ?? 100);
        this.deployedCandidate = this.file.candidateVersion ?? "";
    }

    get percent(): number {
        return Number(this.file.rolloutPercent ?? 100);
    }

    traffic(percent: number): TrafficTarget[] {
        return trafficTable({
            stableRevision: this.file.stableVersion ? revisionName(SERVICE, this.file.stableVersion) : undefined,
            candidateRevision: revisionName(SERVICE, this.deployedCandidate),
            candidatePercent: percent,
        });
    }

    outputs(): StackOutputs {
        return {
            url: `http://${SERVICE}.revs.example.com`,
            tagUrls: { candidate: `http://${tagHostLabel("candidate", SERVICE)}.revs.example.com` },
            traffic: this.traffic(this.outputsPercent),
            candidateRevision: revisionName(SERVICE, this.deployedCandidate),
            ...(this.file.stableVersion ? { stableRevision: revisionName(SERVICE, this.file.stableVersion) } : {}),
        };
    }

    workspace(interrupts?: FakeInterrupts, during?: { up?: (percent: number, call: number) => void }): RolloutWorkspace {
        const stack = this;
        return {
            stackName: "test",
            workDir: "/nonexistent",
            readConfig: async () => ({ ...stack.file }),
            getPercent: async () => stack.percent,
            setPercent: async (p: number) => {
                stack.log.push(`config ${p}`);
                stack.file = { ...stack.file, rolloutPercent: String(p) };
            },
            up: async (o: UpOptions): Promise<UpResult> => {
                const p = stack.percent;
                const call = ++stack.upCalls;
                stack.log.push(`up ${p}`);
                o.onOutput(`Updating (test):\n    ~ ServicePatch ${p}%\n`);
                during?.up?.(p, call);
                const what = stack.upScript(p, call, stack);
                if (what === "fail-before-apply") return { ok: false, message: "error: the update failed before the traffic patch" };
                if (what === "ok-without-apply") return { ok: true, message: "succeeded (but nothing applied)" };
                stack.appliedPercent = p;
                if (what === "fail-after-apply") return { ok: false, message: "error: ReadinessGate: Revision not Ready within 300 s" };
                stack.outputsPercent = p;
                stack.deployedCandidate = stack.file.candidateVersion ?? "";
                void interrupts;
                return { ok: true, message: "succeeded" };
            },
            outputs: async () => stack.outputs(),
            appliedTraffic: async () => stack.traffic(stack.appliedPercent),
        };
    }

    cluster(): ClusterView {
        const stack = this;
        return {
            revisionReady: async () => (stack.candidateReady ? { ready: true, problems: [] } : { ready: false, problems: ["Revision revs/helloworld-python-v3 is failed: ContainerMissing"] }),
            liveTraffic: async () => stack.traffic(stack.appliedPercent),
        };
    }

    /** Judges a stage on synthetic traffic from what the cluster has applied (the tag URL: the candidate alone). */
    runStage(interrupts?: FakeInterrupts, before?: (spec: StageSpec) => void) {
        return async (o: RunStageOptions): Promise<StageOutcome> => {
            this.log.push(`judge ${o.spec.label}`);
            before?.(o.spec);
            const target = { url: o.target.url, host: o.target.host ?? new URL(o.target.url).host };
            if (o.signal?.aborted) {
                const plan = splitPlanOf(o.spec);
                return concludeStage(o.spec, plan, initialStage(o.spec), { sent: 0, completed: 0, cancelled: 0, elapsedMs: 0, stoppedBy: "aborted" }, target);
            }
            const dark = o.spec.kind === "dark-launch";
            const percent = dark ? 100 : this.appliedPercent;
            const records = syntheticRecords(o.spec.maxRequests, percent, this.behaviour(dark ? 0 : percent), {
                stable: this.file.stableVersion ?? "",
                candidate: this.file.candidateVersion ?? "",
            });
            void interrupts;
            const outcome = judgeRecords(o.spec, records, target);
            records.slice(0, outcome.requests.completed).forEach((r) => o.onRecord?.(r));
            return outcome;
        };
    }
}

/** Interrupts a test fires by hand. */
export class FakeInterrupts implements Interrupts {
    private readonly a = new AbortController();
    private readonly b = new AbortController();
    private signalName: "SIGINT" | "SIGTERM" | undefined;
    readonly first = this.a.signal;
    readonly second = this.b.signal;
    readonly name = () => this.signalName;

    fire(name: "SIGINT" | "SIGTERM"): void {
        if (!this.a.signal.aborted) {
            this.signalName = name;
            this.a.abort();
        } else this.b.abort();
    }
}

export class RecordingReporter implements Reporter {
    readonly events: RolloutEvent[] = [];
    pulumi = "";
    records = 0;
    event(e: RolloutEvent): void {
        this.events.push(e);
    }
    pulumiOutput(text: string): void {
        this.pulumi += text;
    }
    record(): void {
        this.records++;
    }
}

/** The driver's dependencies around a fake stack. */
export function fakeDeps(
    stack: FakeStack,
    opts: { interrupts?: FakeInterrupts; reporter?: Reporter; duringUp?: (percent: number, call: number) => void; beforeStage?: (spec: StageSpec) => void } = {},
): RolloutDeps {
    const interrupts = opts.interrupts ?? new FakeInterrupts();
    let t = 0;
    return {
        openWorkspace: async (name) => {
            if (!stack.exists) throw new StackNotFoundError(`stack "${name}" does not exist on this backend (pulumi stack ls lists the stacks; pulumi stack init ${name} creates one)`);
            return stack.workspace(interrupts, { up: opts.duringUp });
        },
        cluster: () => stack.cluster(),
        runStage: stack.runStage(interrupts, opts.beforeStage),
        versionExists: (v) => ["v1", "v2", "v3"].includes(v),
        reporter: opts.reporter ?? new RecordingReporter(),
        interrupts,
        now: () => (t += 1000),
    };
}
