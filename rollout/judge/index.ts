/**
 * The rollout health judge: the pure decision core for judging a candidate revision's health
 * against the stable's at each traffic step (side by side, in the same sample), and alone against
 * absolute bounds in the dark launch and at 100%. No I/O: the rollout driver feeds observations
 * and acts on the decisions. Method, defaults and measured figures: docs/statistics-rollout.md.
 */
export { DEFAULT_HEALTH_SETTINGS, checkHealthSettings } from "./settings";
export type { AbsoluteBounds, HealthSettings, LatencyBound } from "./settings";
export { planHealth, checkSteps, stageBudget } from "./plan";
export type { HealthTest, HealthPlan, StagePlan } from "./plan";
export {
    budgetSpent,
    concludeHealth,
    decideHealth,
    describeHealthTest,
    initialDarkLaunchState,
    initialHealthState,
    initialStageState,
    observe,
    observeBatch,
    stageDecision,
} from "./judge";
export type {
    ArmBatch,
    ArmEvidence,
    Batch,
    HealthConclusion,
    HealthDecision,
    HealthEvidence,
    HealthJudgment,
    HealthState,
    HealthVerdict,
    Observation,
    TestEvidence,
    TestReading,
    TestStatus,
} from "./judge";
