/**
 * Seeded simulation of the health judge on synthetic traffic, shared by the tests and the
 * benchmark (bench/judge.ts). No I/O, no clock: a seed fixes every draw.
 *
 * Requests are simulated in batches: how many reach the candidate, and how many of each arm's
 * fail, are binomial draws, and latencies are drawn one by one only while a latency test is still
 * open (after that no test reads them). The judge checks its tests at the end of each batch;
 * batches hold about CANDIDATE_REQUESTS_PER_BATCH candidate requests, so this is close to the live
 * judge, which checks after every request (and is covered by the same guarantee: anytime-valid
 * tests may be checked at any times chosen in advance or on the fly).
 */
import { Batch, budgetSpent, HealthState, initialStageState, observeBatch, stageDecision } from "./judge";
import { HealthPlan, StagePlan } from "./plan";

/** sfc32 (Chris Doty-Humphrey's small fast counting generator): uniform numbers in [0, 1) from a 32-bit seed. */
export function seededUniform(seed: number): () => number {
    let a = 0x9e3779b9;
    let b = 0x243f6a88;
    let c = 0xb7e15162;
    let d = seed >>> 0;
    const next = () => {
        const t = (((a + b) >>> 0) + d) >>> 0;
        d = (d + 1) >>> 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) >>> 0;
        c = (c << 21) | (c >>> 11);
        c = (c + t) >>> 0;
        return t / 4294967296;
    };
    for (let i = 0; i < 15; i++) next(); // mix the seed through the state
    return next;
}

/**
 * An exact Binomial(n, p) draw by inversion (walking the CDF up from 0 with the pmf recurrence).
 * Costs O(np) steps, which suits the draws here (rare errors, batches of at most a few hundred).
 * For p > 1/2 it draws the complement, so the walk is short and (1 - p)^n cannot underflow below
 * 2^-n; n is limited to 1000 to keep that above the smallest double.
 */
export function binomialDraw(n: number, p: number, rand: () => number): number {
    if (!(Number.isInteger(n) && n >= 0 && n <= 1000)) throw new Error(`binomialDraw: n must be an integer in 0..1000, got ${n}`);
    if (p <= 0 || n === 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - binomialDraw(n, 1 - p, rand);
    const u = rand();
    const ratio = p / (1 - p);
    let k = 0;
    let pmf = (1 - p) ** n;
    let cdf = pmf;
    while (u >= cdf && k < n) {
        pmf *= (ratio * (n - k)) / (k + 1);
        k++;
        cdf += pmf;
    }
    return k;
}

/** A standard normal draw (Box-Muller). */
export function normalDraw(rand: () => number): number {
    const u = 1 - rand(); // (0, 1]: log stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** How one revision behaves: its error rate and a latency draw for a successful request. */
export interface Revision {
    readonly errorRate: number;
    readonly latencyMs: (rand: () => number) => number;
}

/**
 * The latency model: 2 ms of network and proxy, then a log-normal service time with median 8 ms
 * (so about 10 ms in all, p95 about 20 ms), and one request in a hundred also waits an
 * exponential stall of mean 100 ms (a GC pause, a cold connection): a heavy-ish tail, p99 ~ 60 ms.
 */
export function latencyModel(extraMs = 0): (rand: () => number) => number {
    return (rand) => {
        const service = 8 * Math.exp(0.5 * normalDraw(rand));
        const stall = rand() < 0.01 ? -100 * Math.log(1 - rand()) : 0;
        return 2 + service + stall + extraMs;
    };
}

/** Stable and candidate, and which share of the candidate's errors names no revision. */
export interface Scenario {
    readonly stable: Revision;
    readonly candidate: Revision;
    /** Share of the candidate's errors that arrive unattributed (a crash is a connection error). */
    readonly unattributedShare?: number;
}

/** Healthy: both revisions alike, error rate `rate` (0 to 0.5% in the tests). */
export function healthyScenario(rate: number): Scenario {
    const r: Revision = { errorRate: rate, latencyMs: latencyModel() };
    return { stable: r, candidate: r };
}

/** A candidate worse by `errorPoints` in error rate and `extraMs` on every request. */
export function badScenario(rate: number, errorPoints: number, extraMs: number, unattributedShare = 0.5): Scenario {
    return {
        stable: { errorRate: rate, latencyMs: latencyModel() },
        candidate: { errorRate: rate + errorPoints, latencyMs: latencyModel(extraMs) },
        unattributedShare,
    };
}

/** About this many candidate requests per simulated batch, unless a caller asks for coarser checks. */
export const CANDIDATE_REQUESTS_PER_BATCH = 10;

/** The candidate's share of a stage's requests: the dark launch reaches it through its tag URL. */
export function candidateShare(stage: StagePlan): number {
    return stage.kind === "dark-launch" ? 1 : stage.percent / 100;
}

export interface StageRun {
    readonly outcome: "pass" | "fail" | "inconclusive";
    /** Requests sent when the stage stopped. */
    readonly requests: number;
    readonly state: HealthState;
}

function latencies(n: number, r: Revision, rand: () => number): number[] {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = r.latencyMs(rand);
    return out;
}

/**
 * One stage, until it decides or its budget ends. `perBatch` sets how many candidate requests
 * (about) go into a batch, i.e. how often the tests are checked: coarser is faster, and can only
 * lower the false-abort rate seen (every check is a chance to cross), never raise it.
 */
export function simulateStage(stage: StagePlan, scenario: Scenario, rand: () => number, perBatch = CANDIDATE_REQUESTS_PER_BATCH): StageRun {
    const share = candidateShare(stage);
    const batchSize = Math.min(1000, Math.max(1, Math.round(perBatch / share)));
    const u = scenario.unattributedShare ?? 0;
    let state = initialStageState(stage);
    for (;;) {
        const decision = stageDecision(state);
        if (decision !== "continue") return { outcome: decision, requests: state.requests, state };
        if (budgetSpent(state)) return { outcome: "inconclusive", requests: state.requests, state };
        const size = Math.min(batchSize, stage.maxRequests - state.requests);
        const nc = binomialDraw(size, share, rand);
        const ns = size - nc;
        const kc = binomialDraw(nc, scenario.candidate.errorRate, rand);
        const ks = binomialDraw(ns, scenario.stable.errorRate, rand);
        const lost = binomialDraw(kc, u, rand); // candidate errors that name no revision
        const needLatency = state.tests.some((t, i) => t.state === "open" && stage.tests[i].kind.startsWith("latency"));
        const batch: Batch = {
            candidate: {
                requests: nc - lost,
                errors: kc - lost,
                latenciesMs: needLatency ? latencies(nc - kc, scenario.candidate, rand) : undefined,
            },
            stable: { requests: ns, errors: ks, latenciesMs: needLatency ? latencies(ns - ks, scenario.stable, rand) : undefined },
            unattributedErrors: lost,
        };
        state = observeBatch(state, batch);
    }
}

export interface RolloutRun {
    /** The dark launch first, then each step reached; the run stops at the first stage that does not pass. */
    readonly stages: readonly StageRun[];
    readonly outcome: "completed" | "aborted" | "inconclusive";
}

/** A whole rollout: the dark launch, then each step while the previous one passed. */
export function simulateRollout(plan: HealthPlan, scenario: Scenario, rand: () => number, perBatch = CANDIDATE_REQUESTS_PER_BATCH): RolloutRun {
    const stages: StageRun[] = [];
    for (const stage of [plan.darkLaunch, ...plan.stepPlans]) {
        const run = simulateStage(stage, scenario, rand, perBatch);
        stages.push(run);
        if (run.outcome === "fail") return { stages, outcome: "aborted" };
        if (run.outcome === "inconclusive") return { stages, outcome: "inconclusive" };
    }
    return { stages, outcome: "completed" };
}
