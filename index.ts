/**
 * knative-rollout: two Flask app versions on Knative, with live traffic split between their
 * pinned revisions by the stack config value `rolloutPercent`.
 *
 *   stack config → validated RolloutConfig → images (build, push, pin by digest)
 *     → namespace → bootstrap (first run only) → Service template → traffic table → readiness
 *     → verifier (measures the split users get, when `verify` is set)
 */
import * as pulumi from "@pulumi/pulumi";
import { appVersionExists, CONFIG_KEYS, ConfigError, deployRollout, parseConfig, RawConfig } from "./components";

const stackConfig = new pulumi.Config();

function readRawConfig(): RawConfig {
    const raw: RawConfig = {};
    for (const key of CONFIG_KEYS) {
        // The password stays a secret: validation only learns whether it is set (Pulumi.yaml's
        // default is empty), and the value itself is only ever read with getSecret.
        raw[key] =
            key === "registryPassword"
                ? pulumi.runtime.getConfig(`${pulumi.getProject()}:${key}`) ? "set" : undefined
                : stackConfig.get(key);
    }
    return raw;
}

function loadConfig() {
    try {
        return parseConfig(readRawConfig(), { versionExists: (v) => appVersionExists(v) });
    } catch (err) {
        // RunError: the user sees the message, not a stack trace, and nothing is registered.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

const config = loadConfig();
const rollout = deployRollout(config, {
    registryPassword: config.hasRegistryPassword ? stackConfig.requireSecret("registryPassword") : undefined,
});

export const url = rollout.url;
export const candidateRevision = rollout.candidateRevision;
export const stableRevision = rollout.stableRevision;
export const traffic = rollout.traffic;
export const tagUrls = rollout.tagUrls;
export const images = rollout.images;
export const verification = rollout.verification;
