/**
 * The program under Pulumi's mocks, for tests: evaluate it for a configuration and inspect
 * exactly what it would send. The evaluation itself is render/evaluate.ts, shared with `npm run
 * render`; this adds what only tests need: a digest that follows the build inputs, a throwaway
 * apps/ tree, and lookups by type.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KnativeRollout } from "../../components";
import type { RawConfig } from "../../model";
import { evaluateProgram, type Registered } from "../../render/evaluate";

export { TYPES } from "../../model";
export { promiseOf, unsecret } from "../../render/evaluate";
export type { Registered } from "../../render/evaluate";

/** A digest that follows the build inputs, as a reproducible build's would. */
const inputDigest = (inputs: any) => "sha256:" + createHash("sha256").update(JSON.stringify(inputs)).digest("hex");

/** Evaluates the program for one configuration under mocks and returns what it registered. */
export async function evaluate(raw: RawConfig, appsDir: string, registryPassword?: string): Promise<{ resources: Registered[]; outputs: KnativeRollout }> {
    const { resources, rollout } = await evaluateProgram(raw, { appsDir, registryPassword, imageDigest: inputDigest, stack: "test" });
    return { resources, outputs: rollout };
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
