/** The component resources: they take a plan (model/) and hold the resources that deploy it. */
export * from "./images/appContent";
export * from "./images/flaskImage";
export * from "./images/pinnedImage";
export * from "./images/registry";
export * from "./knative/bootstrap";
export * from "./knative/kube";
export * from "./knative/readiness";
export * from "./knative/service";
export * from "./knative/templateGuard";
export * from "./knativeRollout";
export * from "./namespace";
export * from "./trafficVerifier";
