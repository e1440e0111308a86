/**
 * Stack configuration: parsed and validated as a whole, before any resource is registered, so a
 * bad value stops `pulumi preview`/`pulumi up` with one message that names every bad key and what
 * it allows, and nothing is sent to the cluster.
 */
import { dns1035Problem, MAX_LABEL_LENGTH, revisionName, tagHostLabel } from "./naming";
import { tagsOf } from "./traffic";

/** Stack config keys, in the project namespace `knative-rollout:`. Declared in Pulumi.yaml too. */
export const CONFIG_KEYS = [
    "rolloutPercent",
    "candidateVersion",
    "stableVersion",
    "namespace",
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

/** Raw values as Pulumi hands them over: strings (objects as JSON text), undefined when unset. */
export type RawConfig = Partial<Record<ConfigKey, string>>;

export const DEFAULTS = {
    rolloutPercent: 100,
    namespace: "revs",
    serviceName: "helloworld-python",
    target: "World",
    imagePlatform: "linux/amd64",
    awaitReady: true,
    readyTimeoutSeconds: 300,
    environment: "dev",
    // The verifier's own defaults (verifier/verify.ts; a test keeps them equal), restated so
    // that reading the config does not load the verifier.
    verify: {
        maxRequests: 2000,
        timeLimitSeconds: 120,
        concurrency: 8,
    },
} as const;

/** The environment whose stacks the policy pack (policy/) holds to the production rules. */
export const PRODUCTION = "production";

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
}

export interface Autoscaling {
    /** `autoscaling.knative.dev/target`: soft concurrency target per replica. */
    target?: number;
    /** `autoscaling.knative.dev/min-scale`. */
    minScale?: number;
    /** `autoscaling.knative.dev/max-scale`; 0 means unlimited. */
    maxScale?: number;
}
const AUTOSCALING_KEYS: readonly (keyof Autoscaling)[] = ["target", "minScale", "maxScale"];

export interface RolloutConfig {
    serviceName: string;
    namespace: string;
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
    /** Free-form environment name, put on the Service as a label; `production` turns on the policy pack's production rules. */
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
        super(
            `invalid stack configuration (namespace knative-rollout:):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export interface ConfigContext {
    /** Whether `apps/<version>/` holds a buildable app (a Dockerfile). */
    versionExists(version: string): boolean;
}

const INTEGER = /^-?\d+$/;
const INT32_MAX = 2147483647;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)$/;
// A Kubernetes label value (the environment is one), non-empty.
const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
// host[:port][/path...], no scheme, no tag: the repository prefix images are pushed under.
const REGISTRY = /^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** Parses and validates raw stack config; throws ConfigError listing every problem. */
export function parseConfig(raw: RawConfig, ctx: ConfigContext): RolloutConfig {
    const problems: string[] = [];
    const blank = (v: string | undefined) => v === undefined || v.trim() === "";

    const serviceName = blank(raw.serviceName) ? DEFAULTS.serviceName : raw.serviceName!;
    const namespace = blank(raw.namespace) ? DEFAULTS.namespace : raw.namespace!;
    const target = raw.target ?? DEFAULTS.target;
    const nameProblem = dns1035Problem(serviceName);
    if (nameProblem) problems.push(`serviceName "${serviceName}" ${nameProblem}`);
    const nsProblem = dns1035Problem(namespace);
    if (nsProblem) problems.push(`namespace "${namespace}" ${nsProblem}`);

    const versions: { key: "candidateVersion" | "stableVersion"; value: string }[] = [];
    const candidateVersion = raw.candidateVersion?.trim() ?? "";
    if (candidateVersion === "") {
        problems.push(`candidateVersion is required: the app version the Service's template deploys (a folder apps/<version>), e.g. "v2"`);
    } else {
        versions.push({ key: "candidateVersion", value: candidateVersion });
    }
    const stableVersion = blank(raw.stableVersion) ? undefined : raw.stableVersion!.trim();
    if (stableVersion !== undefined) {
        versions.push({ key: "stableVersion", value: stableVersion });
        if (stableVersion === candidateVersion) {
            problems.push(`stableVersion and candidateVersion are both "${stableVersion}": a split needs two different versions (unset stableVersion to send 100% to one)`);
        }
    }
    for (const { key, value } of versions) {
        const versionProblem = dns1035Problem(value);
        if (versionProblem) {
            problems.push(`${key} "${value}" ${versionProblem}`);
            continue;
        }
        if (!ctx.versionExists(value)) {
            problems.push(`${key} "${value}" has no app: expected a Dockerfile in apps/${value}/`);
        }
        const name = revisionName(serviceName, value);
        if (name.length > MAX_LABEL_LENGTH) {
            problems.push(`${key} "${value}" makes the revision name "${name}" ${name.length} characters long; Knative allows at most ${MAX_LABEL_LENGTH} (shorten serviceName or the version)`);
        }
    }

    // Unset means 100 (Pulumi.yaml's default): the candidate takes everything, as Knative's own
    // default route does; a canary stack states its share.
    let rolloutPercent: number = DEFAULTS.rolloutPercent;
    if (blank(raw.rolloutPercent)) {
        // keep the default
    } else if (!INTEGER.test(raw.rolloutPercent!.trim()) || +raw.rolloutPercent! < 0 || +raw.rolloutPercent! > 100) {
        problems.push(`rolloutPercent must be an integer from 0 to 100 (the candidate's share of requests), got "${raw.rolloutPercent}"`);
    } else {
        rolloutPercent = +raw.rolloutPercent!;
        if (stableVersion === undefined && rolloutPercent !== 100) {
            problems.push(`rolloutPercent is ${rolloutPercent} but stableVersion is not set: without a stable revision the candidate takes 100% (set stableVersion, or set rolloutPercent to 100)`);
        }
    }
    if (nameProblem === undefined) {
        for (const tag of tagsOf({ stableRevision: stableVersion })) {
            const label = tagHostLabel(tag, serviceName);
            if (label.length > MAX_LABEL_LENGTH) {
                problems.push(`serviceName "${serviceName}" makes the tag host "${label}" ${label.length} characters long; Knative allows at most ${MAX_LABEL_LENGTH}`);
            }
        }
    }

    const registry = raw.registry?.trim() ?? "";
    if (registry === "") {
        problems.push(`registry is required: where images are pushed, e.g. "registry.example.com/team" or "127.0.0.1:5000"`);
    } else if (!REGISTRY.test(registry)) {
        problems.push(`registry "${registry}" must be host[:port][/path] with no scheme and no tag, e.g. "registry.example.com/team"`);
    }
    const registryUsername = blank(raw.registryUsername) ? undefined : raw.registryUsername!.trim();
    const hasRegistryPassword = !blank(raw.registryPassword);
    if ((registryUsername === undefined) !== !hasRegistryPassword) {
        problems.push(`registryUsername and registryPassword go together: set both (the password with --secret) or neither`);
    }

    const pythonImage = blank(raw.pythonImage) ? undefined : raw.pythonImage!.trim();
    const imagePlatform = blank(raw.imagePlatform) ? DEFAULTS.imagePlatform : raw.imagePlatform!.trim();
    if (!PLATFORM.test(imagePlatform)) {
        problems.push(`imagePlatform "${imagePlatform}" must be os/arch[/variant], e.g. "linux/amd64"`);
    }

    const autoscaling = parseAutoscaling(raw.autoscaling, problems);

    let awaitReady: boolean = DEFAULTS.awaitReady;
    if (!blank(raw.awaitReady)) {
        if (raw.awaitReady !== "true" && raw.awaitReady !== "false") {
            problems.push(`awaitReady must be true or false, got "${raw.awaitReady}"`);
        } else {
            awaitReady = raw.awaitReady === "true";
        }
    }
    let readyTimeoutSeconds: number = DEFAULTS.readyTimeoutSeconds;
    if (!blank(raw.readyTimeoutSeconds)) {
        if (!INTEGER.test(raw.readyTimeoutSeconds!) || +raw.readyTimeoutSeconds! < 1) {
            problems.push(`readyTimeoutSeconds must be a whole number of seconds, at least 1, got "${raw.readyTimeoutSeconds}"`);
        } else {
            readyTimeoutSeconds = +raw.readyTimeoutSeconds!;
        }
    }

    const environment = blank(raw.environment) ? DEFAULTS.environment : raw.environment!.trim();
    if (!LABEL_VALUE.test(environment)) {
        problems.push(`environment "${environment}" must be a Kubernetes label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit), e.g. "dev" or "${PRODUCTION}"`);
    }
    const allowedRolloutSteps = parseRolloutSteps(raw.allowedRolloutSteps, problems);
    if (allowedRolloutSteps.length > 0 && !allowedRolloutSteps.includes(rolloutPercent)) {
        problems.push(`rolloutPercent ${rolloutPercent} is not one of this stack's allowedRolloutSteps (${allowedRolloutSteps.join(", ")})`);
    }
    const renderYamlToDirectory = blank(raw.renderYamlToDirectory) ? undefined : raw.renderYamlToDirectory!.trim();
    const verify = parseVerify(raw.verify, problems);
    if (verify !== undefined && !awaitReady && renderYamlToDirectory === undefined) {
        problems.push(`verify needs awaitReady true: the verifier measures traffic once the Service is Ready`);
    }

    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return {
        serviceName,
        namespace,
        target,
        candidateVersion,
        stableVersion,
        rolloutPercent,
        registry,
        registryUsername,
        hasRegistryPassword,
        pythonImage,
        imagePlatform,
        autoscaling,
        awaitReady,
        readyTimeoutSeconds,
        kubeconfig: blank(raw.kubeconfig) ? undefined : raw.kubeconfig,
        kubeContext: blank(raw.kubeContext) ? undefined : raw.kubeContext!.trim(),
        environment,
        allowedRolloutSteps,
        verify,
        renderYamlToDirectory,
    };
}

/** A list or object key as Pulumi hands it over (JSON text); undefined when it is not JSON. */
function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** Parses a JSON object from config; unset or blank is undefined, anything else not an object is a problem. */
function jsonObject(key: ConfigKey, text: string | undefined, example: string, problems: string[]): Record<string, unknown> | undefined {
    if (text === undefined || text.trim() === "") {
        return undefined;
    }
    const value = parseJson(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        problems.push(`${key} must be an object such as ${example}, got ${text}`);
        return undefined;
    }
    return value as Record<string, unknown>;
}

function parseRolloutSteps(text: string | undefined, problems: string[]): number[] {
    if (text === undefined || text.trim() === "") {
        return [];
    }
    const value = parseJson(text);
    if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v >= 0 && v <= 100)) {
        problems.push(`allowedRolloutSteps must be a list of integers from 0 to 100, e.g. [0, 10, 25, 50, 100], got ${text}`);
        return [];
    }
    return [...new Set(value as number[])].sort((a, b) => a - b);
}

const VERIFY_EXAMPLE = `{"address": "192.0.2.10:80", "maxRequests": 2000, "timeLimitSeconds": 120}`;
const HOST_PORT = /^[a-zA-Z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/;
const HOST = /^[a-zA-Z0-9.-]+(:\d{1,5})?$/;

function parseVerify(text: string | undefined, problems: string[]): VerifyConfig | undefined {
    const value = jsonObject("verify", text, VERIFY_EXAMPLE, problems);
    if (value === undefined || Object.keys(value).length === 0) {
        return undefined; // `{}` (Pulumi.yaml's default) is off
    }
    const result: VerifyConfig = { ...DEFAULTS.verify };
    const known = ["url", "address", "host", "maxRequests", "timeLimitSeconds", "concurrency"];
    for (const [key, v] of Object.entries(value)) {
        if (!known.includes(key)) {
            problems.push(`verify.${key} is not a known key; allowed: ${known.join(", ")}`);
        } else if (key === "url") {
            if (typeof v !== "string" || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(v)) {
                problems.push(`verify.url must be an http:// or https:// URL, got ${JSON.stringify(v)}`);
            } else {
                result.url = v;
            }
        } else if (key === "address") {
            if (typeof v !== "string" || !HOST_PORT.test(v)) {
                problems.push(`verify.address must be the ingress as host:port, e.g. "192.0.2.10:80", got ${JSON.stringify(v)}`);
            } else {
                result.address = v;
            }
        } else if (key === "host") {
            if (typeof v !== "string" || !HOST.test(v)) {
                problems.push(`verify.host must be a host name for the Host header, e.g. "helloworld-python.revs.example.com", got ${JSON.stringify(v)}`);
            } else {
                result.host = v;
            }
        } else if (!Number.isInteger(v) || (v as number) < 1) {
            problems.push(`verify.${key} must be a whole number, at least 1, got ${JSON.stringify(v)}`);
        } else {
            result[key as "maxRequests" | "timeLimitSeconds" | "concurrency"] = v as number;
        }
    }
    return result;
}

function parseAutoscaling(text: string | undefined, problems: string[]): Autoscaling {
    const value = jsonObject("autoscaling", text, `{"target": 3, "minScale": 1, "maxScale": 10}`, problems);
    if (value === undefined) {
        return {};
    }
    const result: Autoscaling = {};
    for (const [key, v] of Object.entries(value)) {
        if (!(AUTOSCALING_KEYS as readonly string[]).includes(key)) {
            problems.push(`autoscaling.${key} is not a known key; allowed: ${AUTOSCALING_KEYS.join(", ")}`);
            continue;
        }
        const n = typeof v === "number" ? v : typeof v === "string" && NUMBER.test(v) ? +v : NaN;
        if (key === "target") {
            if (!(n > 0)) {
                problems.push(`autoscaling.target must be a number greater than 0 (requests in flight per replica), got ${JSON.stringify(v)}`);
            } else if (n < 0.01) {
                problems.push(`autoscaling.target must be at least 0.01, Knative's minimum, got ${n}`);
            } else {
                result.target = n;
            }
        } else if (!Number.isInteger(n) || n < 0) {
            problems.push(`autoscaling.${key} must be a whole number, at least 0, got ${JSON.stringify(v)}`);
        } else if (n > INT32_MAX) {
            problems.push(`autoscaling.${key} must be at most ${INT32_MAX} (Knative reads it as a 32-bit integer), got ${n}`);
        } else {
            result[key as "minScale" | "maxScale"] = n;
        }
    }
    if (result.minScale !== undefined && result.maxScale !== undefined && result.maxScale > 0 && result.minScale > result.maxScale) {
        problems.push(`autoscaling.minScale (${result.minScale}) must not exceed autoscaling.maxScale (${result.maxScale}); maxScale 0 means unlimited`);
    }
    return result;
}
