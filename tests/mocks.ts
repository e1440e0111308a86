/**
 * Pulumi mocks that record every registered resource, so a test can evaluate the program for a
 * configuration and inspect exactly what it would send.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig, RawConfig } from "../components/config";
import { deployRollout, RolloutOutputs } from "../components/stack";

export interface Registered {
    type: string;
    name: string;
    inputs: any;
    /** The provider reference (`urn::id`) the resource was registered with, if any. */
    provider?: string;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as the provider would see them after decryption: secrets unwrapped, recursively. */
export function unsecret(value: any): any {
    if (Array.isArray(value)) return value.map(unsecret);
    if (value !== null && typeof value === "object") {
        if (value[SECRET_SIG] !== undefined && "value" in value) return unsecret(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unsecret(v)]));
    }
    return value;
}

/** What the mocked engine answers for resources whose outputs only the real ones can know. */
function mockOutputs(type: string, inputs: any): any {
    if (type === "docker-build:index:Image") {
        // A digest that follows the build inputs, as a reproducible build's would.
        const digest = "sha256:" + createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
        return { ...inputs, digest, ref: `${inputs.tags[0]}@${digest}`, contextHash: "mock" };
    }
    if (type === "pulumi-nodejs:dynamic/knative-rollout:ReadinessGate") {
        const host = `${inputs.serviceName}.${inputs.namespace}.example.com`;
        return {
            ...inputs,
            url: `http://${host}`,
            ready: true,
            tagUrls: Object.fromEntries(inputs.traffic.map((t: any) => [t.tag, `http://${t.tag}-${host}`])),
        };
    }
    return inputs;
}

/** Evaluates the program for one configuration under mocks and returns what it registered. */
export async function evaluate(raw: RawConfig, appsDir: string, registryPassword?: string): Promise<{ resources: Registered[]; outputs: RolloutOutputs }> {
    const resources: Registered[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources.push({ type: args.type, name: args.name, inputs: unsecret(args.inputs), provider: args.provider });
                return { id: `${args.name}-id`, state: mockOutputs(args.type, args.inputs) };
            },
            call: (args) => args.inputs,
        },
        "knative-rollout",
        "test",
        false,
    );
    const config = parseConfig(raw, { versionExists: (v) => fs.existsSync(path.join(appsDir, v, "Dockerfile")) });
    const outputs = deployRollout(config, { registryPassword: registryPassword === undefined ? undefined : pulumi.secret(registryPassword) }, appsDir);
    // The readiness gate is registered last (it depends on everything else): wait for its outputs.
    await promiseOf(outputs.url);
    await promiseOf(outputs.tagUrls);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { resources, outputs };
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
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
} as const;
