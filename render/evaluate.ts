/**
 * Evaluates the program (parseConfig + KnativeRollout, exactly what index.ts runs) under Pulumi's
 * mocks and records every resource it registers: no engine, no cluster, no build. `npm run
 * render` turns the record into manifests; the unit tests inspect it (tests/support/program.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { appVersionExists, APPS_DIR, KnativeRollout } from "../components";
import { parseConfig, type RawConfig, TYPES } from "../model";

export interface Registered {
    type: string;
    name: string;
    inputs: any;
    /** The provider reference (`urn::id`) the resource was registered with, if any. */
    provider?: string;
    /** Top-level inputs the engine would store as secrets (encrypted in the state). */
    secretInputs: string[];
}

export interface Evaluation {
    resources: Registered[];
    rollout: KnativeRollout;
}

export interface EvaluateOptions {
    /** Folder holding apps/<version>/ (default: the repository's apps/). */
    appsDir?: string;
    /** The registry password the program gets as a secret, when registryPassword is set. */
    registryPassword?: string;
    /** The digest (`sha256:…`) the mocked builder answers for an image build's inputs. */
    imageDigest: (inputs: any) => string;
    project?: string;
    stack?: string;
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
function mockOutputs(type: string, inputs: any, imageDigest: (inputs: any) => string): any {
    if (type === TYPES.image) {
        const digest = imageDigest(inputs);
        return { ...inputs, digest, ref: `${inputs.tags[0]}@${digest}`, contextHash: "mock" };
    }
    if (type === TYPES.gate) {
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

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Evaluates the program for one raw configuration and returns what it registered, in
 * registration order. Throws parseConfig's ConfigError for a bad configuration.
 */
export async function evaluateProgram(raw: RawConfig, opts: EvaluateOptions): Promise<Evaluation> {
    const appsDir = opts.appsDir ?? APPS_DIR;
    const resources: Registered[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const secretInputs = Object.keys(args.inputs).filter((k) => args.inputs[k]?.[SECRET_SIG] !== undefined);
                resources.push({ type: args.type, name: args.name, inputs: unsecret(args.inputs), provider: args.provider, secretInputs });
                return { id: `${args.name}-id`, state: mockOutputs(args.type, args.inputs, opts.imageDigest) };
            },
            call: (args) => args.inputs,
        },
        opts.project ?? "knative-rollout",
        opts.stack ?? "test",
        false,
    );
    const config = parseConfig(raw, { versionExists: (v) => appVersionExists(v, appsDir) });
    const rollout = new KnativeRollout(config.serviceName, {
        config,
        registryPassword: opts.registryPassword === undefined ? undefined : pulumi.secret(opts.registryPassword),
        appsDir,
    });
    // Wait for the program's outputs (the readiness gate, when there is one, is registered last),
    // then until registrations stop: a render-only program resolves its outputs before the
    // Kubernetes resources are registered.
    await promiseOf(rollout.url);
    await promiseOf(rollout.tagUrls);
    await Promise.all(Object.values(rollout.images).map(promiseOf));
    if (rollout.verification) await promiseOf(rollout.verification);
    for (let seen = -1, quiet = 0; quiet < 3; ) {
        await sleep(5);
        quiet = resources.length === seen ? quiet + 1 : 0;
        seen = resources.length;
    }
    return { resources, rollout };
}
