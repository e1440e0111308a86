/** The post-deploy traffic verifier: library entry points (the CLI is verifier/cli.ts). */
export { classify, versionToken } from "./classify";
export type { Classification } from "./classify";
export { main as runCli, parseCli, parseExpect, UsageError, USAGE } from "./cli";
export { formatJson, formatText } from "./report";
export { sample } from "./sampler";
export type { Outcome, SampleOptions, SampleSummary, Target } from "./sampler";
export { decide, decideFixed, DEFAULT_SETTINGS, initialState, planSplitTest, shareIntervals, step } from "./sequential";
export type { Check, CheckOutcome, Decision, SplitPlan, SplitState, TestSettings } from "./sequential";
export * as stats from "./stats";
export { conclude, DEFAULTS, record, resolveOptions, verifySplit } from "./verify";
export type { ErrorCounts, Verdict, VerifyOptions, VerifyResult, VersionRow } from "./verify";
