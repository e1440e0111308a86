/**
 * The rollout's plan, and every check on its input, before anything changes. Pure: the stack's raw
 * config goes through the program's own parser (`parseConfig`, model/config.ts), so a problem
 * reads exactly as `pulumi up` would report it; the steps are checked against the stack's
 * `allowedRolloutSteps`; the deployed outputs must show the stack file applied.
 *
 * α, the probability of aborting a healthy candidate anywhere in the rollout (default 0.05):
 *  - SPLIT_ALPHA_SHARE of it (10%) goes to the split tests, evenly over the stages whose split is a
 *    Wald SPRT (0 < percent < 100; a 0% or 100% split check cannot raise a false alarm: one wrong
 *    answer is proof);
 *  - the rest to the health judge, which spends it over the dark launch and the steps
 *    (`planHealth`, ∝ 1/share; docs/statistics-rollout.md).
 * By the union bound P(any false abort) ≤ α. The checks after a rollback and at the end are not
 * abort decisions (a mismatch there is reported, nothing is aborted) and use the verifier's own α.
 */
import {
    ConfigError,
    DEFAULT_ROLLOUT_STEPS,
    parseConfig,
    PROJECT,
    revisionName,
    sameTraffic,
    tagHostLabel,
    TAGS,
    trafficTable,
    VERIFY,
    type ConfigContext,
    type RawConfig,
    type RolloutConfig,
    type TrafficTarget,
} from "../model";
import { planHealth, type HealthPlan, type HealthSettings } from "./judge";
import type { HttpTarget, SampleBudget } from "./sampling";
import type { TestSettings } from "../verifier/sequential";
import type { StageSpec } from "./stage";
import type { StackOutputs } from "./workspace";

/** The share of the rollout's α that the split tests get (the health judge gets the rest). */
export const SPLIT_ALPHA_SHARE = 0.1;

/** The split test's power and δ: the verifier's defaults (model/contract.ts). */
export const SPLIT_POWER = VERIFY.defaults.power;
export const SPLIT_DELTA = VERIFY.defaults.minEffect / 100;

/** Per-stage sampling defaults of the command. */
export const ROLLOUT_DEFAULTS = {
    alpha: 0.05,
    timeLimitSeconds: 300,
    timeoutMs: VERIFY.defaults.timeoutMs,
} as const;

/** The candidate's percent in a traffic table (the entry tagged `candidate`), or undefined. */
export function candidatePercent(traffic: readonly TrafficTarget[] | undefined): number | undefined {
    const entry = traffic?.find((t) => t.tag === TAGS.candidate);
    return entry === undefined ? undefined : (entry.percent ?? 0);
}

/** Bad input: nothing has changed (exit 2). */
export class InputError extends Error {}

export interface RolloutOptions {
    stack: string;
    /** --steps; undefined: the stack's allowedRolloutSteps above its current percent. */
    steps?: number[];
    /** The health judge's settings; `alpha` is the whole rollout's α (split share included). */
    settings: HealthSettings;
    /** Caps every stage's sample (default: the judge's budget for the stage). */
    maxRequests?: number;
    timeLimitSeconds: number;
    timeoutMs: number;
    /** Requests in flight (default: the stack's verify.concurrency). */
    concurrency?: number;
}

export interface AlphaPlan {
    /** The whole rollout's false-abort probability. */
    total: number;
    /** What the health judge spends over the dark launch and the steps. */
    health: number;
    /** Each SPRT split test's α, and how many there are. */
    splitEach: number;
    splitTests: number;
}

export interface RolloutPlan {
    stack: string;
    config: RolloutConfig;
    /** The stack's rolloutPercent when the rollout starts. */
    current: number;
    /** The steps to take (each above `current`). */
    steps: number[];
    /** current > 0: the rollout resumes, and first judges `current` as it stands (no update). */
    resume: boolean;
    alpha: AlphaPlan;
    health: HealthPlan;
    darkLaunch: StageSpec;
    /** The resume check (if any), then one per step. */
    stages: StageSpec[];
    /** The service's URL through the ingress, and the candidate's tag URL. */
    serviceTarget: HttpTarget;
    candidateTarget: HttpTarget;
    budget: SampleBudget;
    /** The budget of the split-only checks after a rollback and at the end (the stack's verify settings). */
    checkBudget: SampleBudget & { maxRequests: number };
}

/** `--steps 10,25,50,100` → numbers; a malformed list is an InputError. */
export function parseSteps(text: string): number[] {
    const parts = text.split(",").map((s) => s.trim());
    return parts.map((p) => {
        if (!/^-?\d+$/.test(p)) throw new InputError(`--steps: "${p}" is not a whole number (e.g. --steps 10,25,50,100)`);
        return Number(p);
    });
}

/**
 * How the rollout's α is shared (see the file comment): the split tests of the stages at
 * 0 < percent < 100 get SPLIT_ALPHA_SHARE of it, evenly; the health judge the rest (all of it
 * when there is no such stage).
 */
export function alphaPlan(judged: readonly number[], total: number): AlphaPlan {
    const splitTests = judged.filter((p) => p > 0 && p < 100).length;
    return {
        total,
        health: splitTests > 0 ? total * (1 - SPLIT_ALPHA_SHARE) : total,
        splitEach: splitTests > 0 ? (total * SPLIT_ALPHA_SHARE) / splitTests : 0,
        splitTests,
    };
}

/** The split test's settings at a percent: its α slice, or the verifier's α for a 0%/100% check (which cannot raise a false alarm). */
export function splitSettingsAt(percent: number, alpha: AlphaPlan): TestSettings {
    return { alpha: percent > 0 && percent < 100 ? alpha.splitEach : VERIFY.defaults.alpha, power: SPLIT_POWER, delta: SPLIT_DELTA };
}

/** The steps to take, checked; `allowed` empty allows any percent. */
export function checkPlannedSteps(steps: readonly number[], current: number, allowed: readonly number[]): number[] {
    if (steps.length === 0) throw new InputError(`--steps names no step`);
    steps.forEach((p, i) => {
        if (!Number.isInteger(p) || p < 0 || p > 100) throw new InputError(`--steps: ${p} is outside 0..100 (a step is the candidate's percent of requests)`);
        if (i > 0 && p <= steps[i - 1]) throw new InputError(`--steps must increase: ${steps[i - 1]} then ${p}`);
    });
    for (const p of steps) {
        if (p <= current) {
            throw new InputError(
                `--steps: ${p} is not above the stack's current rolloutPercent ${current}; a rollout moves up from where the stack stands ` +
                    `(it judges ${current}% first when it is above 0), so give only the steps above ${current}`,
            );
        }
        if (allowed.length > 0 && !allowed.includes(p)) {
            throw new InputError(`--steps: ${p} is not one of this stack's allowedRolloutSteps (${allowed.join(", ")})`);
        }
    }
    return [...steps];
}

/** The default steps: the stack's allowedRolloutSteps (else 10, 25, 50, 100) above its current percent. */
export function defaultSteps(current: number, allowed: readonly number[]): number[] {
    const from = allowed.length > 0 ? allowed : DEFAULT_ROLLOUT_STEPS;
    return from.filter((p) => p > current && p > 0);
}

const configSetHint = (stack: string, key: string, example: string) => `pulumi config set --stack ${stack} ${key} ${example}`;

/** The stack's config, parsed as the program parses it, and the rollout's own requirements on it. */
export function checkConfig(stack: string, raw: RawConfig, ctx: ConfigContext): RolloutConfig {
    let config: RolloutConfig;
    try {
        config = parseConfig(raw, ctx);
    } catch (e) {
        if (e instanceof ConfigError) throw new InputError(`stack "${stack}": ${e.message}`);
        throw e;
    }
    const problems: string[] = [];
    if (config.stableVersion === undefined) {
        problems.push(
            `stableVersion is not set: a rollout moves traffic from a stable revision to the candidate (${config.candidateVersion}); ` +
                `set the version users get now, e.g. \`${configSetHint(stack, "stableVersion", "v1")}\`, with rolloutPercent 0`,
        );
    }
    if (config.verify === undefined) {
        problems.push(
            `verify is not configured: the rollout sends its samples where the post-deploy verifier does (the Service's URL through ` +
                `the ingress). Configure it in the stack file, e.g.\n` +
                `      pulumi config set --stack ${stack} --path '${PROJECT}:verify.address' 192.0.2.10:80\n` +
                `      pulumi config set --stack ${stack} --path '${PROJECT}:verify.host' ${config.serviceName}.${config.namespace}.example.com\n` +
                `    (address: the ingress host:port; host: the Service's host name; url to override the Service's URL; see Pulumi.yaml)`,
        );
    }
    if (!config.awaitReady && config.renderYamlToDirectory === undefined) {
        problems.push(
            `awaitReady is false: every step is judged right after its \`pulumi up\`, which must first wait until the Service is Ready ` +
                `with the step's traffic table (\`${configSetHint(stack, "awaitReady", "true")}\`)`,
        );
    }
    if (config.renderYamlToDirectory !== undefined) {
        problems.push(`renderYamlToDirectory is set (${config.renderYamlToDirectory}): this stack writes manifests instead of deploying; a rollout needs a cluster`);
    }
    if (problems.length > 0) throw new InputError(`stack "${stack}" cannot be rolled out:\n` + problems.map((p) => `  - ${p}`).join("\n"));
    return config;
}

/** Whether the deployed stack (its outputs) shows the stack file applied; the reasons if not. */
export function deployedProblems(config: RolloutConfig, outputs: StackOutputs): string[] {
    const problems: string[] = [];
    const candidate = revisionName(config.serviceName, config.candidateVersion);
    const stable = config.stableVersion !== undefined ? revisionName(config.serviceName, config.stableVersion) : undefined;
    if (outputs.traffic === undefined) return ["the stack has no deployment (no traffic output): deploy it first"];
    if (outputs.candidateRevision !== candidate) problems.push(`the deployed candidate is ${outputs.candidateRevision ?? "none"}, the stack file names ${candidate}`);
    if (outputs.stableRevision !== stable) problems.push(`the deployed stable revision is ${outputs.stableRevision ?? "none"}, the stack file names ${stable ?? "none"}`);
    const want = trafficTable({ stableRevision: stable, candidateRevision: candidate, candidatePercent: config.rolloutPercent });
    if (problems.length === 0 && !sameTraffic(outputs.traffic, want)) {
        problems.push(`the deployed candidate has ${candidatePercent(outputs.traffic) ?? "no"}%, the stack file says rolloutPercent ${config.rolloutPercent}`);
    }
    return problems;
}

/** The tag URL's Host header: the tag URL's own host, else derived from the service's Host. */
export function tagTarget(config: RolloutConfig, service: HttpTarget, outputs: StackOutputs): HttpTarget {
    const tagUrl = outputs.tagUrls?.[TAGS.candidate];
    if (tagUrl !== undefined) return { url: tagUrl, ...(service.address !== undefined ? { address: service.address } : {}) };
    const host = service.host ?? new URL(service.url).host;
    const prefix = `${config.serviceName}.`;
    if (!host.startsWith(prefix)) {
        throw new InputError(`the stack has no tag URL for "${TAGS.candidate}" and its host ${host} does not start with ${prefix}: cannot reach the candidate alone`);
    }
    const tagHost = `${tagHostLabel(TAGS.candidate, config.serviceName)}.${host.slice(prefix.length)}`;
    const url = new URL(service.url);
    url.host = tagHost;
    return { url: url.toString(), host: tagHost, ...(service.address !== undefined ? { address: service.address } : {}) };
}

export function serviceTargetOf(config: RolloutConfig, outputs: StackOutputs): HttpTarget {
    const url = config.verify?.url ?? outputs.url;
    if (url === undefined || url === "") throw new InputError(`the stack has no url output and verify.url is not set: set verify.url to the URL users reach the Service by`);
    return { url, ...(config.verify?.host !== undefined ? { host: config.verify.host } : {}), ...(config.verify?.address !== undefined ? { address: config.verify.address } : {}) };
}

/** The split users should see at `percent`, stable first. */
export function expectAt(config: RolloutConfig, percent: number): Record<string, number> {
    return config.stableVersion === undefined
        ? { [config.candidateVersion]: 100 }
        : { [config.stableVersion]: 100 - percent, [config.candidateVersion]: percent };
}

/** The split-only check after a rollback, or at the end. */
export function checkStage(plan: Pick<RolloutPlan, "config" | "checkBudget">, kind: "rollback-check" | "final-check", percent: number): StageSpec {
    const { config } = plan;
    return {
        kind,
        label: `${kind === "rollback-check" ? "rollback check" : "final check"} (${percent}%)`,
        percent,
        versions: { stable: config.stableVersion, candidate: config.candidateVersion },
        expect: expectAt(config, percent),
        split: { alpha: VERIFY.defaults.alpha, power: SPLIT_POWER, delta: SPLIT_DELTA },
        maxRequests: plan.checkBudget.maxRequests,
    };
}

export interface PlanInput {
    options: RolloutOptions;
    raw: RawConfig;
    ctx: ConfigContext;
    outputs: StackOutputs;
}

/** The whole plan, or an InputError naming what is wrong. Nothing is changed either way. */
export function planRollout({ options, raw, ctx, outputs }: PlanInput): RolloutPlan {
    const { stack } = options;
    const config = checkConfig(stack, raw, ctx);
    const current = config.rolloutPercent;
    const allowed = config.allowedRolloutSteps;
    const steps = options.steps !== undefined ? checkPlannedSteps(options.steps, current, allowed) : defaultSteps(current, allowed);
    if (steps.length === 0) {
        throw new InputError(
            `nothing to roll out: stack "${stack}" has rolloutPercent ${current}` +
                (current === 100 ? ` (the candidate ${config.candidateVersion} has all traffic)` : ` and no allowed step above it (${allowed.join(", ")})`) +
                `; the next rollout starts from a new candidateVersion at rolloutPercent 0`,
        );
    }
    const deployed = deployedProblems(config, outputs);
    if (deployed.length > 0) {
        throw new InputError(
            `stack "${stack}": the stack file and the deployed stack differ:\n` +
                deployed.map((p) => `  - ${p}`).join("\n") +
                `\n  apply the stack file first (pulumi up --stack ${stack}, or the deploy workflow), then run the rollout` +
                (outputs.candidateRevision !== undefined && current > 0 ? `; a new candidate starts at rolloutPercent 0` : ""),
        );
    }
    const resume = current > 0;
    const judged = resume ? [current, ...steps] : steps;
    const alpha = alphaPlan(judged, options.settings.alpha);
    let health: HealthPlan;
    try {
        health = planHealth(judged, { ...options.settings, alpha: alpha.health });
    } catch (e) {
        throw new InputError((e as Error).message);
    }
    const versions = { stable: config.stableVersion, candidate: config.candidateVersion };
    const cap = (n: number) => (options.maxRequests !== undefined ? Math.min(n, options.maxRequests) : n);
    const splitSettings = (percent: number) => splitSettingsAt(percent, alpha);
    const darkLaunch: StageSpec = {
        kind: "dark-launch",
        label: "dark launch",
        percent: 0,
        versions,
        health: health.darkLaunch,
        // Through the tag URL every answer must come from the candidate.
        expect: { [config.candidateVersion]: 100 },
        split: splitSettings(100),
        maxRequests: cap(health.darkLaunch.maxRequests),
    };
    const stages = judged.map((percent, i): StageSpec => {
        const isResume = resume && i === 0;
        const k = resume ? i : i + 1;
        return {
            kind: isResume ? "resume" : "step",
            label: isResume ? `resume check (${percent}%, as deployed)` : `step ${k} of ${steps.length} (${percent}%)`,
            percent,
            versions,
            health: health.stepPlans[i],
            expect: expectAt(config, percent),
            split: splitSettings(percent),
            maxRequests: cap(health.stepPlans[i].maxRequests),
        };
    });
    const serviceTarget = serviceTargetOf(config, outputs);
    const verify = config.verify!;
    return {
        stack,
        config,
        current,
        steps,
        resume,
        alpha,
        health,
        darkLaunch,
        stages,
        serviceTarget,
        candidateTarget: tagTarget(config, serviceTarget, outputs),
        budget: {
            timeLimitMs: options.timeLimitSeconds * 1000,
            timeoutMs: options.timeoutMs,
            concurrency: options.concurrency ?? verify.concurrency,
        },
        checkBudget: {
            maxRequests: verify.maxRequests,
            timeLimitMs: verify.timeLimitSeconds * 1000,
            timeoutMs: options.timeoutMs,
            concurrency: options.concurrency ?? verify.concurrency,
        },
    };
}
