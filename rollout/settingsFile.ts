/**
 * The health judge's settings as the commands take them: the defaults (rollout/judge/settings.ts),
 * a JSON file over them (`--settings FILE`; `absolute` merged key by key), `--alpha` over that.
 * Shared by `npm run rollout` and `npm run verify -- --replay`.
 */
import * as fs from "node:fs";
import { checkHealthSettings, DEFAULT_HEALTH_SETTINGS, type HealthSettings } from "./judge";
import { InputError } from "./plan";

/** Health settings: the defaults, a --settings file over them, --alpha over that. */
export function loadSettings(file: string | undefined, alpha: number | undefined): HealthSettings {
    let settings: HealthSettings = DEFAULT_HEALTH_SETTINGS;
    if (file !== undefined) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch (e) {
            throw new InputError(`--settings ${file}: ${(e as Error).message}`);
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new InputError(`--settings ${file}: expected a JSON object`);
        const known = Object.keys(DEFAULT_HEALTH_SETTINGS);
        for (const k of Object.keys(parsed)) if (!known.includes(k)) throw new InputError(`--settings ${file}: unknown setting "${k}" (known: ${known.join(", ")})`);
        const p = parsed as Partial<HealthSettings>;
        settings = { ...settings, ...p, absolute: { ...settings.absolute, ...(p.absolute ?? {}) } };
    }
    if (alpha !== undefined) settings = { ...settings, alpha };
    try {
        return checkHealthSettings(settings);
    } catch (e) {
        throw new InputError(`judge settings: ${(e as Error).message}`);
    }
}
