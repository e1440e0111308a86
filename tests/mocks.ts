/**
 * Pulumi mocks that record every registered resource, so a test can evaluate the program for a
 * configuration and inspect exactly what it would send. The evaluation itself lives in
 * render/evaluate.ts, shared with `npm run render`.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RawConfig } from "../components/config";
import type { RolloutOutputs } from "../components/stack";
import { evaluateProgram, type Registered } from "../render/evaluate";

export { promiseOf, unsecret } from "../render/evaluate";
export type { Registered } from "../render/evaluate";

/** A digest that follows the build inputs, as a reproducible build's would. */
const inputDigest = (inputs: any) => "sha256:" + createHash("sha256").update(JSON.stringify(inputs)).digest("hex");

/** Evaluates the program for one configuration under mocks and returns what it registered. */
export async function evaluate(raw: RawConfig, appsDir: string, registryPassword?: string): Promise<{ resources: Registered[]; outputs: RolloutOutputs }> {
    return evaluateProgram(raw, { appsDir, registryPassword, imageDigest: inputDigest, stack: "test" });
}

/** A throwaway apps/ tree with the given versions, each a tiny Dockerfile app. */
export function makeAppsDir(versions: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-apps-"));
    for (const v of versions) {
        fs.mkdirSync(path.join(dir, v));
        fs.writeFileSync(path.join(dir, v, "Dockerfile"), "ARG PYTHON_IMAGE=python:3.12-slim\nFROM ${PYTHON_IMAGE}\nCOPY app.py .\n");
        fs.writeFileSync(path.join(dir, v, "app.py"), `print("${v}")\n`);
        fs.writeFileSync(path.join(dir, v, ".dockerignore"), "__pycache__\n*.md\n");
    }
    return dir;
}

export const byType = (resources: Registered[], type: string) => resources.filter((r) => r.type === type);
export const one = (resources: Registered[], type: string) => {
    const found = byType(resources, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
};

export const TYPES = {
    service: "kubernetes:serving.knative.dev/v1:Service",
    traffic: "kubernetes:serving.knative.dev/v1:ServicePatch",
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    provider: "pulumi:providers:kubernetes",
    image: "docker-build:index:Image",
    pin: "pulumi-nodejs:dynamic/knative-rollout:PinnedImage",
    guard: "pulumi-nodejs:dynamic/knative-rollout:TemplateGuard",
    bootstrap: "pulumi-nodejs:dynamic/knative-rollout:ServiceBootstrap",
    gate: "pulumi-nodejs:dynamic/knative-rollout:ReadinessGate",
    verifier: "command:local:Command",
} as const;
