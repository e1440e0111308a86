/** `npm run render`: a stack's Kubernetes manifests from the program's own code, with no Pulumi CLI, Docker or cluster. */
export { main, parseArgs, USAGE } from "./cli";
export * from "./evaluate";
export * from "./manifests";
export * from "./output";
export * from "./project";
export * from "./stackConfig";
