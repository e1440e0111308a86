/** `npm run render`: a stack's Kubernetes manifests from the program's own code, with no Pulumi CLI, Docker or cluster. */
export * from "./evaluate";
export * from "./render";
export { main, parseArgs, USAGE } from "./cli";
