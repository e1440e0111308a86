/**
 * A stack's config as Pulumi hands it to the program: the stack file's values over Pulumi.yaml's
 * defaults, after the checks `pulumi up` makes before the program runs (Pulumi's own messages),
 * and with secrets replaced by placeholders (only the passphrase decrypts them).
 */
import * as path from "node:path";
import { CONFIG_KEYS, type ConfigKey, type RawConfig } from "../model";
import { isMap, type Project, type ProjectConfigDecl, readYaml, RenderError, splitKey } from "./project";

/** Keys the program reads as secrets whatever Pulumi.yaml declares (index.ts: requireSecret). */
export const PROGRAM_SECRETS: readonly string[] = ["registryPassword"];

/** What a secret (`secure:` in a stack file) renders as: never its value, which needs the passphrase. */
export const secretPlaceholder = (key: string) => `[secret ${key}: not decrypted]`;

export interface StackConfig {
    stack: string;
    /** Where it came from, for headers and diff labels: the stack file, plus any overrides. */
    source: string;
    raw: RawConfig;
    /** The value the program's `registryPassword` secret gets (a placeholder), when set. */
    registryPassword?: string;
    /** Keys whose values are secrets and were replaced by placeholders. */
    secrets: string[];
    overrides: Record<string, string>;
    /** Things the reader should know (ignored keys), printed as comments and to stderr. */
    notes: string[];
}

type StackValue = { secure: true } | { secure: false; value: unknown };

/** Pulumi's string form of a config value: primitives as text, objects and lists as JSON. */
function configText(value: unknown): string {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
}

const isSecure = (v: unknown) => isMap(v) && Object.keys(v).length === 1 && typeof v.secure === "string";

/** Levenshtein distance, for "did you mean" on a misspelt key. */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            prev = cur;
        }
    }
    return row[b.length];
}

function unknownKeyProblem(project: string, name: string, where: string): string {
    const best = [...CONFIG_KEYS].sort((x, y) => distance(name, x) - distance(name, y))[0];
    const hint = distance(name, best) <= Math.max(2, Math.floor(best.length / 4)) ? ` (did you mean ${project}:${best}?)` : "";
    return `${where}: unknown key ${project}:${name}${hint}; the program reads only ${CONFIG_KEYS.join(", ")}`;
}

/**
 * Pulumi's own checks of a declared key's stack value (pulumi/pulumi sdk/go/common/workspace:
 * validateStackConfigValue, ValidateConfigValue, InferFullTypeName), with Pulumi's messages: a
 * `secret: true` key must be encrypted, and an explicitly typed key's value must have its type.
 * Primitive values are text to Pulumi (YAML `50` is "50"); lists and objects are parsed JSON. What
 * the values mean is parseConfig's business, not repeated here.
 */
function pulumiValueProblem(stack: string, key: string, decl: ProjectConfigDecl, value: StackValue): string | undefined {
    if (decl.secret && !value.secure) {
        return `Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`;
    }
    if (value.secure || decl.type === undefined) return undefined;
    const ok = (type: string | undefined, items: ProjectConfigDecl["items"] | undefined, v: unknown): boolean => {
        switch (type) {
            case "string":
                return typeof v === "string";
            case "integer":
                return (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^[+-]?\d+$/.test(v));
            case "boolean":
                return typeof v === "boolean" || v === "true" || v === "false";
            default: // "array"; Pulumi judges any other declared type as one too
                return Array.isArray(v) && items !== undefined && v.every((item) => ok(items.type, items.items, item));
        }
    };
    const v = value.value !== null && typeof value.value === "object" ? value.value : configText(value.value);
    if (ok(decl.type, decl.items, v)) return undefined;
    const typeName = (type: string | undefined, items: ProjectConfigDecl["items"] | undefined): string =>
        items !== undefined ? `array<${typeName(items.type, items.items)}>` : String(type);
    return `Stack '${stack}' with configuration key '${key}' must be of type '${typeName(decl.type, decl.items)}'`;
}

/**
 * Reads a stack file and the project's defaults into the raw config index.ts would read, after the
 * checks `pulumi up` makes before the program runs. Keys of other namespaces are ignored (with a
 * note); unknown keys of the project's namespace are an error, which Pulumi does not make (it
 * passes them through and the program never reads them): a misspelt `rolloutPercnt` would
 * otherwise render, and deploy, the default.
 */
export function readStackConfig(
    project: Project,
    stackFile: { stack: string; file: string },
    overrides: Record<string, string> = {},
): StackConfig {
    const { stack, file } = stackFile;
    const where = path.basename(file);
    const doc = readYaml(file);
    if (doc !== null && doc !== undefined && !isMap(doc)) throw new RenderError(`${where} must be a YAML map with a config: section`);
    const notes: string[] = [];
    if (isMap(doc) && doc.environment !== undefined) {
        notes.push(`${where} imports ESC environments (environment:); their values are not resolved here`);
    }
    const section = isMap(doc) ? doc.config ?? {} : {};
    if (!isMap(section)) throw new RenderError(`${where}: config: must be a map of <namespace>:<key> to values`);

    const known = new Set<string>(CONFIG_KEYS);
    const problems: string[] = [];
    const values = new Map<string, StackValue>();
    for (const [key, value] of Object.entries(section)) {
        const { namespace, name } = splitKey(project.name, key);
        if (namespace !== project.name) {
            notes.push(`ignored ${key}: not in the ${project.name}: namespace, so the program does not read it`);
        } else if (!known.has(name)) {
            problems.push(unknownKeyProblem(project.name, name, where));
        } else {
            values.set(name, isSecure(value) ? { secure: true } : { secure: false, value });
        }
    }
    for (const [key, value] of Object.entries(overrides)) {
        const { namespace, name } = splitKey(project.name, key);
        if (namespace !== project.name || !known.has(name)) {
            problems.push(unknownKeyProblem(project.name, name, `--set ${key}`));
            continue;
        }
        // Like `pulumi config set [--secret] [--json]`: a key Pulumi.yaml declares secret is
        // stored encrypted; a JSON list or object is stored as one.
        let parsed: unknown = value;
        if (/^\s*[[{]/.test(value)) {
            try {
                parsed = JSON.parse(value);
            } catch {
                parsed = value;
            }
        }
        values.set(name, project.config[name]?.secret || PROGRAM_SECRETS.includes(name) ? { secure: true } : { secure: false, value: parsed });
    }
    if (problems.length > 0) throw new RenderError(problems.join("\n"));

    // Pulumi's merge of the project's declarations (workspace.mergeConfig): missing required
    // keys, then type and secret checks of the stack's values, then defaults.
    const missing = Object.entries(project.config)
        .filter(([key, decl]) => !values.has(key) && decl.default === undefined && decl.value === undefined)
        .map(([key]) => key)
        .sort();
    if (missing.length > 0) {
        throw new RenderError(`Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${missing.map((k) => `'${k}'`).join(", ")}`);
    }
    for (const key of Object.keys(project.config).sort()) {
        const value = values.get(key);
        const problem = value && pulumiValueProblem(stack, key, project.config[key], value);
        if (problem) throw new RenderError(problem);
    }

    const raw: RawConfig = {};
    const secrets: string[] = [];
    let registryPassword: string | undefined;
    for (const key of CONFIG_KEYS) {
        const value = values.get(key);
        const decl = project.config[key];
        let text: string | undefined;
        if (value?.secure) {
            text = secretPlaceholder(key);
            secrets.push(key);
        } else if (value) {
            text = configText(value.value);
        } else if (decl !== undefined) {
            text = configText(decl.value ?? decl.default);
        }
        if (key === "registryPassword") {
            // As index.ts: validation learns only whether it is set and how it is stored; the value is a secret.
            const set = text !== undefined && text !== "";
            raw.registryPassword = set ? (value?.secure ? "secret" : "plaintext") : undefined;
            registryPassword = set ? secretPlaceholder(key) : undefined;
            if (set && !secrets.includes(key)) secrets.push(key);
        } else {
            raw[key as Exclude<ConfigKey, "registryPassword">] = text;
        }
    }
    const secretKey = (k: string) => project.config[k]?.secret === true || PROGRAM_SECRETS.includes(k);
    const set = Object.entries(overrides).map(([k, v]) => `${k}=${secretKey(splitKey(project.name, k).name) ? "[secret]" : v}`);
    const source = path.relative(project.dir, file).startsWith("..") ? file : path.relative(project.dir, file);
    return {
        stack,
        source: set.length > 0 ? `${source} --set ${set.join(" --set ")}` : source,
        raw,
        registryPassword,
        secrets,
        overrides,
        notes,
    };
}
