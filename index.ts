/**
 * knative-rollout: two Flask app versions on Knative, with live traffic split between their
 * pinned revisions by the stack config value `rolloutPercent`.
 *
 *   stack config → validated RolloutConfig (model/config.ts)
 *     → KnativeRollout (components/knativeRollout.ts): the plan (model/plan.ts), then
 *       images (build, push, pin by digest) → namespace → bootstrap (first run only)
 *       → Service template → traffic table → readiness → verifier (when `verify` is set)
 *     → stack outputs
 */
import * as pulumi from "@pulumi/pulumi";
import { appVersionExists, KnativeRollout } from "./components";
import { CONFIG_KEYS, ConfigError, parseConfig, PROJECT, type RawConfig } from "./model";

/** Whether a config key was stored encrypted (the SDK's own record, the one `Config.get` warns from). */
const isSecret: (key: string) => boolean = require("@pulumi/pulumi/runtime/config").isConfigSecret;

const stackConfig = new pulumi.Config();

function readRawConfig(): RawConfig {
    const raw: RawConfig = {};
    for (const key of CONFIG_KEYS) {
        if (key === "registryPassword") {
            // The password stays a secret: validation only learns whether it is set (Pulumi.yaml's
            // default is empty) and how it is stored; its value is only ever read with requireSecret.
            const full = `${PROJECT}:${key}`;
            if (pulumi.runtime.getConfig(full)) raw.registryPassword = isSecret(full) ? "secret" : "plaintext";
        } else {
            raw[key] = stackConfig.get(key);
        }
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
const rollout = new KnativeRollout(config.serviceName, {
    config,
    registryPassword: config.hasRegistryPassword ? stackConfig.requireSecret("registryPassword") : undefined,
});

export const url = rollout.url;
export const candidateRevision = rollout.candidateRevision;
export const stableRevision = rollout.stableRevision;
export const traffic = rollout.traffic;
export const tagUrls = rollout.tagUrls;
export const images = rollout.images;
export const verification = rollout.verification;
