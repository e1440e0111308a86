/** The pure model: the contract, config, naming, templates, traffic and the rollout plan. No Pulumi here. */
export * from "./bootstrap";
export * from "./config";
export * from "./contract";
export * from "./knative";
export * from "./naming";
export * from "./namespace";
export * from "./plan";
export * from "./readiness";
export * from "./template";
export * from "./templateChange";
export * from "./traffic";
export * from "./verify";
