/**
 * Stack configuration: parsed and validated as a whole, before any resource is registered, so a
 * bad value stops `pulumi preview`/`pulumi up` with one message that names every bad key and what
 * it allows, and nothing is sent to the cluster.
 *
 * One row per key (`KEY_RULES`: how it is read, its bounds, its message), then the rules that
 * relate keys to each other (`crossChecks`). Every problem is collected; none stops the others.
 */
import { DEFAULT_ENVIRONMENT, DEFAULT_ROLLOUT_STEPS, isProduction, isSystemNamespace, PROJECT, READY_TIMEOUT_BOUNDS, VERIFY } from "./contract";
import { dns1035Problem, MAX_LABEL_LENGTH, revisionName, tagHostLabel } from "./naming";
import type { Autoscaling } from "./template";
import { tagsOf } from "./traffic";
import { budgetProblem, parseAddress, urlProblem } from "./verify";

/** Stack config keys, in the project namespace `knative-rollout:`. Declared in Pulumi.yaml too (a test keeps them equal). */
export const CONFIG_KEYS = [
    "rolloutPercent",
    "candidateVersion",
    "stableVersion",
    "namespace",
    "useExistingNamespace",
    "serviceName",
    "target",
    "registry",
    "registryUsername",
    "registryPassword",
    "pythonImage",
    "imagePlatform",
    "autoscaling",
    "awaitReady",
    "readyTimeoutSeconds",
    "kubeconfig",
    "kubeContext",
    "environment",
    "allowedRolloutSteps",
    "verify",
    "renderYamlToDirectory",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/**
 * Raw values as Pulumi hands them over: strings (objects and lists as JSON text), undefined when
 * unset. `registryPassword` is never its value: only whether it is set, and how it is stored
 * (`secret` or `plaintext`), so the secret itself never passes through validation.
 */
export type RawConfig = Partial<Record<Exclude<ConfigKey, "registryPassword">, string>> & { registryPassword?: "secret" | "plaintext" };

export const DEFAULTS = {
    rolloutPercent: 100,
    namespace: "revs",
    serviceName: "helloworld-python",
    target: "World",
    imagePlatform: "linux/amd64",
    awaitReady: true,
    readyTimeoutSeconds: 300,
    environment: DEFAULT_ENVIRONMENT,
} as const;

/**
 * The post-deploy verifier (verifier/): after the Service is Ready, it sends requests to the
 * Service's URL and tests whether the observed split matches the traffic table.
 */
export interface VerifyConfig {
    /** URL to request; unset uses the Service's URL from its status. */
    url?: string;
    /** Ingress `host:port` to connect to instead of resolving the URL's host. */
    address?: string;
    /** Host header to send; unset uses the URL's host. */
    host?: string;
    maxRequests: number;
    timeLimitSeconds: number;
    concurrency: number;
    /**
     * Whether `pulumi up` runs the verifier as its last step (default true). Off, the settings still
     * tell `npm run rollout` and `npm run verify` where users reach the Service: for a `pulumi up`
     * that runs where the ingress cannot be reached, or without the command provider.
     */
    gate: boolean;
}

export interface RolloutConfig {
    serviceName: string;
    namespace: string;
    /** Deploy into a namespace that exists already, as it is: the program neither changes nor deletes it. */
    useExistingNamespace: boolean;
    /** The app's `TARGET` environment variable. */
    target: string;
    candidateVersion: string;
    stableVersion?: string;
    /** Share of requests for the candidate revision, an integer 0..100. */
    rolloutPercent: number;
    registry: string;
    registryUsername?: string;
    /** Whether a `registryPassword` secret is set (the value itself stays a Pulumi secret). */
    hasRegistryPassword: boolean;
    /** Base image passed to the Dockerfiles as `PYTHON_IMAGE`; unset keeps their pinned default. */
    pythonImage?: string;
    imagePlatform: string;
    autoscaling: Autoscaling;
    awaitReady: boolean;
    readyTimeoutSeconds: number;
    kubeconfig?: string;
    kubeContext?: string;
    /** Lower-case environment name, put on the Service as a label; production names turn on the production rules. */
    environment: string;
    /** The rollout percents this stack may use; empty allows any. */
    allowedRolloutSteps: number[];
    /** Set: `pulumi up` fails unless users get the configured split. */
    verify?: VerifyConfig;
    /**
     * Set: no cluster is touched. Manifests are written to this directory, images are built but
     * not pushed, and the cluster-side steps (bootstrap, readiness, verifier) are skipped.
     */
    renderYamlToDirectory?: string;
}

/** Every problem found in a stack's config, reported together. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration (namespace ${PROJECT}:):\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

export interface ConfigContext {
    /** Whether `apps/<version>/` holds a buildable app (a Dockerfile). */
    versionExists(version: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// How one key is read. Each reader returns the value, or its fallback after noting a problem.

type Problems = string[];
const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === "";
const INT32_MAX = 2147483647;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)$/;
// A Kubernetes label value (the environment is one), non-empty.
const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
// host[:port][/path...], no scheme, no tag: the repository prefix images are pushed under.
const REGISTRY = /^[a-zA-Z0-9.-]+(:(\d{1,5}))?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const HOST = /^[a-zA-Z0-9.-]+(:\d{1,5})?$/;

/** A whole number within bounds; `-0` reads as 0. */
function integer(raw: string | undefined, fallback: number, min: number, max: number, problem: (raw: string) => string, p: Problems): number {
    if (blank(raw)) return fallback;
    const text = raw.trim();
    if (!/^-?\d+$/.test(text) || +text < min || +text > max) {
        p.push(problem(raw));
        return fallback;
    }
    return +text + 0;
}

function text(raw: string | undefined, fallback: string): string {
    return blank(raw) ? fallback : raw.trim();
}

function optional(raw: string | undefined): string | undefined {
    return blank(raw) ? undefined : raw.trim();
}

function boolean(key: ConfigKey, raw: string | undefined, fallback: boolean, p: Problems): boolean {
    if (blank(raw)) return fallback;
    if (raw !== "true" && raw !== "false") {
        p.push(`${key} must be true or false, got "${raw}"`);
        return fallback;
    }
    return raw === "true";
}

/** A list or object key as Pulumi hands it over (JSON text); undefined when it is not JSON. */
function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** A JSON object; unset or blank is undefined, anything else not an object is a problem. */
function jsonObject(key: ConfigKey, raw: string | undefined, example: string, p: Problems): Record<string, unknown> | undefined {
    if (blank(raw)) return undefined;
    const value = parseJson(raw);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        p.push(`${key} must be an object such as ${example}, got ${raw}`);
        return undefined;
    }
    return value as Record<string, unknown>;
}

function nameKey(key: "serviceName" | "namespace", raw: string | undefined, fallback: string, p: Problems): string {
    const value = text(raw, fallback);
    const problem = dns1035Problem(value);
    if (problem) p.push(`${key} "${value}" ${problem}`);
    return value;
}

function registry(raw: string | undefined, p: Problems): string {
    const value = raw?.trim() ?? "";
    if (value === "") {
        p.push(`registry is required: where images are pushed, e.g. "registry.example.com/team" or "127.0.0.1:5000"`);
        return value;
    }
    const m = REGISTRY.exec(value);
    if (!m) {
        p.push(`registry "${value}" must be host[:port][/path] with no scheme and no tag, e.g. "registry.example.com/team"`);
    } else if (m[2] !== undefined && !(+m[2] >= 1 && +m[2] <= 65535)) {
        p.push(`registry "${value}" has port ${m[2]}; a port is from 1 to 65535`);
    }
    return value;
}

function registryUsername(raw: string | undefined, p: Problems): string | undefined {
    const value = optional(raw);
    // Basic auth joins user and password with ":", so a user name containing one cannot be sent.
    if (value !== undefined && value.includes(":")) {
        p.push(`registryUsername "${value}" must not contain ":" (registry credentials are sent as user:password)`);
    }
    return value;
}

function environment(raw: string | undefined, p: Problems): string {
    const value = text(raw, DEFAULTS.environment);
    if (!LABEL_VALUE.test(value)) {
        p.push(`environment "${value}" must be a Kubernetes label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit), e.g. "dev" or "production"`);
    } else if (value !== value.toLowerCase()) {
        // One spelling per environment: "Production" and "production" must not be two environments
        // of which only one gets the production rules.
        p.push(`environment "${value}" must be lower case ("${value.toLowerCase()}"${isProduction(value) ? ", a production environment" : ""})`);
    }
    return value;
}

function rolloutSteps(raw: string | undefined, p: Problems): number[] {
    if (blank(raw)) return [];
    const value = parseJson(raw);
    if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v >= 0 && v <= 100)) {
        p.push(`allowedRolloutSteps must be a list of integers from 0 to 100, e.g. [${DEFAULT_ROLLOUT_STEPS.join(", ")}], got ${raw}`);
        return [];
    }
    return [...new Set((value as number[]).map((v) => v + 0))].sort((a, b) => a - b);
}

const AUTOSCALING_KEYS: readonly (keyof Autoscaling)[] = ["target", "minScale", "maxScale"];

function autoscaling(raw: string | undefined, p: Problems): Autoscaling {
    const value = jsonObject("autoscaling", raw, `{"target": 3, "minScale": 1, "maxScale": 10}`, p);
    if (value === undefined) return {};
    const result: Autoscaling = {};
    for (const [key, v] of Object.entries(value)) {
        if (!(AUTOSCALING_KEYS as readonly string[]).includes(key)) {
            p.push(`autoscaling.${key} is not a known key; allowed: ${AUTOSCALING_KEYS.join(", ")}`);
            continue;
        }
        const n = typeof v === "number" ? v : typeof v === "string" && NUMBER.test(v) ? +v : NaN;
        if (key === "target") {
            if (!(n > 0)) {
                p.push(`autoscaling.target must be a number greater than 0 (requests in flight per replica), got ${JSON.stringify(v)}`);
            } else if (n < 0.01) {
                p.push(`autoscaling.target must be at least 0.01, Knative's minimum, got ${n}`);
            } else {
                result.target = n;
            }
        } else if (!Number.isInteger(n) || n < 0) {
            p.push(`autoscaling.${key} must be a whole number, at least 0, got ${JSON.stringify(v)}`);
        } else if (n > INT32_MAX) {
            p.push(`autoscaling.${key} must be at most ${INT32_MAX} (Knative reads it as a 32-bit integer), got ${n}`);
        } else {
            result[key as "minScale" | "maxScale"] = n + 0;
        }
    }
    if (result.minScale !== undefined && result.maxScale !== undefined && result.maxScale > 0 && result.minScale > result.maxScale) {
        p.push(`autoscaling.minScale (${result.minScale}) must not exceed autoscaling.maxScale (${result.maxScale}); maxScale 0 means unlimited`);
    }
    return result;
}

const VERIFY_EXAMPLE = `{"address": "192.0.2.10:80", "maxRequests": 2000, "timeLimitSeconds": 120}`;
const VERIFY_KEYS = ["url", "address", "host", "maxRequests", "timeLimitSeconds", "concurrency", "gate"] as const;

function verify(raw: string | undefined, p: Problems): VerifyConfig | undefined {
    const value = jsonObject("verify", raw, VERIFY_EXAMPLE, p);
    if (value === undefined || Object.keys(value).length === 0) {
        return undefined; // `{}` (Pulumi.yaml's default) is off
    }
    const { maxRequests, timeLimitSeconds, concurrency } = VERIFY.defaults;
    const result: VerifyConfig = { maxRequests, timeLimitSeconds, concurrency, gate: true };
    for (const [key, v] of Object.entries(value)) {
        if (!(VERIFY_KEYS as readonly string[]).includes(key)) {
            p.push(`verify.${key} is not a known key; allowed: ${VERIFY_KEYS.join(", ")}`);
        } else if (key === "url") {
            const problem = typeof v === "string" ? urlProblem(v) : `must be an http:// or https:// URL, got ${JSON.stringify(v)}`;
            if (problem) p.push(`verify.url ${problem}`);
            else result.url = v as string;
        } else if (key === "address") {
            try {
                if (typeof v !== "string") throw new Error(`got ${JSON.stringify(v)}`);
                parseAddress(v);
                result.address = v;
            } catch (e) {
                p.push(`verify.address must be the ingress as host:port, e.g. "192.0.2.10:80": ${(e as Error).message}`);
            }
        } else if (key === "gate") {
            if (typeof v !== "boolean") p.push(`verify.gate must be true or false, got ${JSON.stringify(v)}`);
            else result.gate = v;
        } else if (key === "host") {
            if (typeof v !== "string" || !HOST.test(v)) {
                p.push(`verify.host must be a host name for the Host header, e.g. "helloworld-python.revs.example.com", got ${JSON.stringify(v)}`);
            } else {
                result.host = v;
            }
        } else {
            const budgetKey = key as "maxRequests" | "timeLimitSeconds" | "concurrency";
            const problem = budgetProblem(budgetKey, v);
            if (problem) p.push(`verify.${key} ${problem}`);
            else result[budgetKey] = v as number;
        }
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// The whole config

/** Parses and validates raw stack config; throws ConfigError listing every problem. */
export function parseConfig(raw: RawConfig, ctx: ConfigContext): RolloutConfig {
    const p: Problems = [];
    // One row per key, in the order Pulumi.yaml declares them.
    const rolloutPercent = integer(raw.rolloutPercent, DEFAULTS.rolloutPercent, 0, 100,
        (r) => `rolloutPercent must be an integer from 0 to 100 (the candidate's share of requests), got "${r}"`, p);
    const candidateVersion = raw.candidateVersion?.trim() ?? "";
    const stableVersion = optional(raw.stableVersion);
    const namespace = nameKey("namespace", raw.namespace, DEFAULTS.namespace, p);
    const useExistingNamespace = boolean("useExistingNamespace", raw.useExistingNamespace, false, p);
    const serviceName = nameKey("serviceName", raw.serviceName, DEFAULTS.serviceName, p);
    const config: RolloutConfig = {
        serviceName,
        namespace,
        useExistingNamespace,
        target: raw.target ?? DEFAULTS.target,
        candidateVersion,
        stableVersion,
        rolloutPercent,
        registry: registry(raw.registry, p),
        registryUsername: registryUsername(raw.registryUsername, p),
        hasRegistryPassword: raw.registryPassword !== undefined,
        pythonImage: optional(raw.pythonImage),
        imagePlatform: text(raw.imagePlatform, DEFAULTS.imagePlatform),
        autoscaling: autoscaling(raw.autoscaling, p),
        awaitReady: boolean("awaitReady", raw.awaitReady, DEFAULTS.awaitReady, p),
        readyTimeoutSeconds: integer(raw.readyTimeoutSeconds, DEFAULTS.readyTimeoutSeconds, READY_TIMEOUT_BOUNDS.min, READY_TIMEOUT_BOUNDS.max,
            (r) => `readyTimeoutSeconds must be a whole number of seconds, at least ${READY_TIMEOUT_BOUNDS.min} and at most ${READY_TIMEOUT_BOUNDS.max}, got "${r}"`, p),
        kubeconfig: blank(raw.kubeconfig) ? undefined : raw.kubeconfig,
        kubeContext: optional(raw.kubeContext),
        environment: environment(raw.environment, p),
        allowedRolloutSteps: rolloutSteps(raw.allowedRolloutSteps, p),
        verify: verify(raw.verify, p),
        renderYamlToDirectory: optional(raw.renderYamlToDirectory),
    };
    if (!PLATFORM.test(config.imagePlatform)) {
        p.push(`imagePlatform "${config.imagePlatform}" must be os/arch[/variant], e.g. "linux/amd64"`);
    }
    crossChecks(config, raw, ctx, p);
    if (p.length > 0) throw new ConfigError(p);
    return config;
}

/** The rules that relate keys to each other. */
function crossChecks(c: RolloutConfig, raw: RawConfig, ctx: ConfigContext, p: Problems): void {
    const serviceNameOk = dns1035Problem(c.serviceName) === undefined;
    if (c.candidateVersion === "") {
        p.push(`candidateVersion is required: the app version the Service's template deploys (a folder apps/<version>), e.g. "v2"`);
    }
    if (c.stableVersion !== undefined && c.stableVersion === c.candidateVersion) {
        p.push(`stableVersion and candidateVersion are both "${c.stableVersion}": a split needs two different versions (unset stableVersion to send 100% to one)`);
    }
    for (const [key, value] of [["candidateVersion", c.candidateVersion], ["stableVersion", c.stableVersion]] as const) {
        if (value === undefined || value === "") continue;
        const versionProblem = dns1035Problem(value);
        if (versionProblem) {
            p.push(`${key} "${value}" ${versionProblem}`);
            continue;
        }
        if (!ctx.versionExists(value)) p.push(`${key} "${value}" has no app: expected a Dockerfile in apps/${value}/`);
        const name = revisionName(c.serviceName, value);
        if (name.length > MAX_LABEL_LENGTH) {
            p.push(`${key} "${value}" makes the revision name "${name}" ${name.length} characters long; Knative allows at most ${MAX_LABEL_LENGTH} (shorten serviceName or the version)`);
        }
    }
    // Unset means 100 (Pulumi.yaml's default): the candidate takes everything, as Knative's own
    // default route does; a canary stack states its share.
    if (c.stableVersion === undefined && c.rolloutPercent !== 100) {
        p.push(`rolloutPercent is ${c.rolloutPercent} but stableVersion is not set: without a stable revision the candidate takes 100% (set stableVersion, or set rolloutPercent to 100)`);
    }
    if (serviceNameOk) {
        for (const tag of tagsOf({ stableRevision: c.stableVersion })) {
            const label = tagHostLabel(tag, c.serviceName);
            if (label.length > MAX_LABEL_LENGTH) {
                p.push(`serviceName "${c.serviceName}" makes the tag host "${label}" ${label.length} characters long; Knative allows at most ${MAX_LABEL_LENGTH}`);
            }
        }
    }
    if (isSystemNamespace(c.namespace)) {
        p.push(`namespace "${c.namespace}" is a system namespace (default, kube-*, knative-*): the program never deploys into one; choose a namespace of your own`);
    }
    if ((c.registryUsername === undefined) !== !c.hasRegistryPassword) {
        p.push(`registryUsername and registryPassword go together: set both (the password with --secret) or neither`);
    }
    if (raw.registryPassword === "plaintext") {
        p.push(`registryPassword is stored in plaintext in the stack file; store it encrypted: pulumi config set --secret registryPassword`);
    }
    if (c.allowedRolloutSteps.length > 0 && !c.allowedRolloutSteps.includes(c.rolloutPercent)) {
        p.push(`rolloutPercent ${c.rolloutPercent} is not one of this stack's allowedRolloutSteps (${c.allowedRolloutSteps.join(", ")})`);
    }
    if (c.verify?.gate && !c.awaitReady && c.renderYamlToDirectory === undefined) {
        p.push(`verify needs awaitReady true: the verifier measures traffic once the Service is Ready`);
    }
}
