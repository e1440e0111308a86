/**
 * Renders a stack's Kubernetes manifests without the Pulumi CLI, Docker or a cluster: reads
 * `Pulumi.<stack>.yaml` and the defaults declared in `Pulumi.yaml` as Pulumi does, evaluates the
 * program's own code (parseConfig, deployRollout) under Pulumi's mocks (render/evaluate.ts) and
 * turns what it registers into manifests, one object each, in a stable order.
 *
 * What only a deploy can know is shown as a placeholder: image digests (only a build knows them)
 * and secrets (only the passphrase decrypts them).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createTwoFilesPatch } from "diff";
import * as YAML from "yaml";
import { CONFIG_KEYS, ConfigKey, RawConfig } from "../components/config";
import { TRAFFIC_FIELD_MANAGER } from "../components/knativeService";
import { evaluateProgram, Registered } from "./evaluate";

/** The repository root: where Pulumi.yaml and the committed stack files live. */
export const PROJECT_DIR = path.join(__dirname, "..");

/**
 * The digest every image reference carries in a rendering. Knative's webhook accepts only
 * `sha256:` + 64 hex digits after `@` (tests/knative-validate rejects anything else, a
 * `<placeholder>` included), so the placeholder is a syntactically valid digest that no content
 * has: 64 zeros.
 */
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;

/** Keys the program reads as secrets whatever Pulumi.yaml declares (index.ts: requireSecret). */
export const PROGRAM_SECRETS: readonly string[] = ["registryPassword"];

/** What a secret (`secure:` in a stack file) renders as: never its value, which needs the passphrase. */
export const secretPlaceholder = (key: string) => `[secret ${key}: not decrypted]`;

/** A stack file or command line the renderer refuses; the CLI prints the message and exits 1. */
export class RenderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RenderError";
    }
}

// ---------------------------------------------------------------------------------------------
// Project and stack files

/** One `config:` entry of Pulumi.yaml. */
export interface ProjectConfigDecl {
    type?: string;
    items?: { type?: string; items?: ProjectConfigDecl["items"] };
    default?: unknown;
    value?: unknown;
    secret?: boolean;
}

export interface Project {
    dir: string;
    /** The project name, which is also the config namespace (`knative-rollout:`). */
    name: string;
    /** Declared keys of the project's own namespace, by short name. */
    config: Record<string, ProjectConfigDecl>;
}

function readYaml(file: string): unknown {
    try {
        return YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new RenderError(`${path.basename(file)} is not valid YAML: ${(err as Error).message}`);
    }
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function loadProject(dir: string = PROJECT_DIR): Project {
    const doc = readYaml(path.join(dir, "Pulumi.yaml"));
    if (!isMap(doc) || typeof doc.name !== "string") {
        throw new RenderError(`${path.join(dir, "Pulumi.yaml")} has no project name`);
    }
    const config: Record<string, ProjectConfigDecl> = {};
    for (const [key, decl] of Object.entries(isMap(doc.config) ? doc.config : {})) {
        const { namespace, name } = splitKey(doc.name, key);
        if (namespace !== doc.name) continue; // another package's key (e.g. kubernetes:context)
        // A plain value is shorthand for `value:`.
        config[name] = isMap(decl) && ("type" in decl || "default" in decl || "value" in decl || "secret" in decl || "description" in decl)
            ? (decl as ProjectConfigDecl)
            : { value: decl };
    }
    return { dir, name: doc.name, config };
}

/** `ns:name` → {ns, name}; a key without a namespace belongs to the project, as in Pulumi. */
function splitKey(project: string, key: string): { namespace: string; name: string } {
    const i = key.indexOf(":");
    return i < 0 ? { namespace: project, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

/** The stacks that have a stack file in the project directory, sorted. */
export function listStacks(dir: string = PROJECT_DIR): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => STACK_FILE.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** A stack name (`dev`) or the path of a stack file; returns the stack's name and file. */
export function findStackFile(stackOrFile: string, dir: string = PROJECT_DIR): { stack: string; file: string } {
    const looksLikePath = stackOrFile.includes("/") || stackOrFile.includes(path.sep) || /\.ya?ml$/.test(stackOrFile);
    if (looksLikePath) {
        if (!fs.existsSync(stackOrFile) || !fs.statSync(stackOrFile).isFile()) {
            throw new RenderError(`no stack file ${stackOrFile}`);
        }
        const base = path.basename(stackOrFile);
        return { stack: STACK_FILE.exec(base)?.[1] ?? base.replace(/\.ya?ml$/, ""), file: stackOrFile };
    }
    for (const ext of ["yaml", "yml"]) {
        const file = path.join(dir, `Pulumi.${stackOrFile}.${ext}`);
        if (fs.existsSync(file)) return { stack: stackOrFile, file };
    }
    const stacks = listStacks(dir);
    throw new RenderError(
        `no stack "${stackOrFile}": there is no Pulumi.${stackOrFile}.yaml in ${dir}. ` +
            (stacks.length > 0 ? `Stacks: ${stacks.join(", ")}.` : "There are no stack files."),
    );
}

// ---------------------------------------------------------------------------------------------
// Stack config, as Pulumi hands it to the program

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
        values.set(name, project.config[name]?.secret ? { secure: true } : { secure: false, value: parsed });
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
            // As index.ts: validation learns only whether it is set; the value is a secret.
            const set = text !== undefined && text !== "";
            raw[key] = set ? "set" : undefined;
            registryPassword = set ? secretPlaceholder(key) : undefined;
            if (set && !secrets.includes(key)) secrets.push(key);
        } else {
            raw[key as ConfigKey] = text;
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

// ---------------------------------------------------------------------------------------------
// Manifests

export interface Manifest {
    /** The object as the cluster ends up with it (what the program's field managers apply). */
    object: Record<string, any>;
    /** Comment lines shown above the document. */
    comments: string[];
}

export interface Rendering {
    stack: string;
    source: string;
    manifests: Manifest[];
    /** Header comment lines (without `# `). */
    header: string[];
    notes: string[];
}

/** Kinds in the order they are applied and read; others follow, alphabetically. */
const KIND_ORDER = ["Namespace", "ServiceAccount", "Secret", "ConfigMap", "Service"];
/** Keys shown first, in this order, at any level; the rest alphabetically. */
const KEY_ORDER = ["apiVersion", "kind", "metadata", "name", "namespace", "revisionName", "latestRevision"];

function canonical(value: any): any {
    if (Array.isArray(value)) return value.map(canonical);
    if (!isMap(value)) return value;
    const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
    const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, canonical(value[k])]));
}

/** Server-side apply of one manager's fields on top of another's: maps merge, lists are replaced. */
function merge(base: any, patch: any): any {
    if (!isMap(base) || !isMap(patch)) return patch;
    const out: Record<string, any> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
}

/** The fields a manager sets, two levels deep (`spec.traffic`), identity fields left out. */
function fieldsOf(object: Record<string, any>): string[] {
    const fields: string[] = [];
    for (const [k, v] of Object.entries(object)) {
        if (k === "apiVersion" || k === "kind") continue;
        if (isMap(v)) {
            for (const sub of Object.keys(v)) if (!(k === "metadata" && (sub === "name" || sub === "namespace"))) fields.push(`${k}.${sub}`);
        } else {
            fields.push(k);
        }
    }
    return fields;
}

/** `kubernetes:serving.knative.dev/v1:ServicePatch` → apiVersion, kind, whether it is a patch. */
function kubernetesType(type: string): { apiVersion: string; kind: string; patch: boolean } | undefined {
    const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    const patch = m[2].endsWith("Patch") && m[2] !== "Patch";
    return { apiVersion: m[1].replace(/^core\//, ""), kind: patch ? m[2].slice(0, -"Patch".length) : m[2], patch };
}

const identity = (o: Record<string, any>) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
const displayName = (o: Record<string, any>) => (o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name);

/** Turns what the program registered into manifests, patches merged into their objects. */
export function manifestsOf(resources: Registered[]): Manifest[] {
    const objects = new Map<string, { object: Record<string, any>; owners: { what: string; fields: string[] }[] }>();
    const patches: { object: Record<string, any>; name: string }[] = [];
    for (const r of resources) {
        const t = kubernetesType(r.type);
        if (!t) continue;
        const object = { apiVersion: t.apiVersion, kind: t.kind, ...r.inputs };
        if (t.patch) {
            patches.push({ object, name: r.name });
        } else {
            objects.set(identity(object), { object, owners: [{ what: `resource ${r.name} (${r.type})`, fields: fieldsOf(object) }] });
        }
    }
    for (const p of patches) {
        const target = objects.get(identity(p.object));
        const manager = p.object.metadata?.annotations?.["pulumi.com/patchFieldManager"];
        const what = `patch ${p.name}${manager ? `, field manager ${manager}` : ""}`;
        if (target) {
            target.object = merge(target.object, p.object);
            target.owners.push({ what, fields: fieldsOf(p.object) });
        } else {
            // A patch of an object the program does not create: shown as the patch it is.
            objects.set(identity(p.object), { object: p.object, owners: [{ what: `${what}, of an object this program does not create`, fields: fieldsOf(p.object) }] });
        }
    }
    const rank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);
    return [...objects.values()]
        .sort((a, b) => rank(a.object.kind) - rank(b.object.kind) || identity(a.object).localeCompare(identity(b.object)))
        .map(({ object, owners }) => {
            const comments = [`${object.kind} ${displayName(object)}`];
            if (owners.length > 1) {
                const traffic = owners.some((o) => o.what.includes(TRAFFIC_FIELD_MANAGER));
                comments.push(
                    `As the cluster ends up with it: the program applies this object with ${owners.length} field managers`,
                    `(server-side apply), merged here:`,
                    ...owners.map((o) => `  - ${o.what}: ${o.fields.join(", ")}`),
                );
                if (traffic) {
                    comments.push(
                        `A traffic-only change (rolloutPercent) updates the patch alone; the template is re-sent only`,
                        `under a new revision name (Knative rejects a changed template under an unchanged name).`,
                    );
                }
            }
            return { object: canonical(object), comments };
        });
}

function headerOf(config: StackConfig, resources: Registered[], manifests: Manifest[]): string[] {
    const lines = [
        `Kubernetes manifests of stack "${config.stack}": ${config.source} with the defaults in Pulumi.yaml,`,
        `rendered by \`npm run render\` from the program's own code (parseConfig, deployRollout) under`,
        `Pulumi's mocks: no Pulumi CLI, no image build, no cluster. Placeholders mark what only a deploy knows:`,
    ];
    const placeholders = lines.length;
    const text = JSON.stringify(manifests.map((m) => m.object));
    if (text.includes(PLACEHOLDER_DIGEST)) {
        lines.push(
            `- image digests: @${PLACEHOLDER_DIGEST.slice(0, 15)}…0 (64 zeros) stands for the digest the build pushes,`,
            `  which only a build can know. No image has it: do not apply these manifests as they are.`,
        );
    } else if (/"image":"[^"@]+"/.test(text)) {
        lines.push(`- images: referenced by tag, not digest (this stack sets renderYamlToDirectory: images are built, not pushed).`);
    }
    if (config.secrets.length > 0) {
        lines.push(
            `- secrets: ${config.secrets.map((k) => `"${secretPlaceholder(k)}"`).join(", ")} stands for the value:`,
            `  secure: values need the stack's passphrase, and the program reads registryPassword as a secret.`,
        );
    }
    if (lines.length === placeholders) lines.push(`- none in this rendering.`);
    const bootstrap = resources.find((r) => r.type === "pulumi-nodejs:dynamic/knative-rollout:ServiceBootstrap");
    if (bootstrap) {
        const stable = bootstrap.inputs.stableTemplate?.metadata?.name;
        lines.push(
            `Not a manifest: the bootstrap (ServiceBootstrap). On a cluster without Service`,
            `${bootstrap.inputs.namespace}/${bootstrap.inputs.serviceName}, the stable revision is created first: \`pulumi up\` creates the`,
            `Service with the stable template and 100% of traffic on ${stable}, waits until Knative has`,
            `created that revision, and only then applies the Service below.`,
        );
    }
    const others = new Map<string, number>();
    for (const r of resources) {
        if (r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:") || r.type.startsWith("knative-rollout:index:")) continue;
        if (r.type.endsWith(":ServiceBootstrap")) continue;
        const short = r.type.replace(/^pulumi-nodejs:dynamic\/knative-rollout:/, "");
        others.set(short, (others.get(short) ?? 0) + 1);
    }
    if (others.size > 0) {
        const list = [...others].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => (n > 1 ? `${t} x${n}` : t));
        lines.push(`Also registered, not manifests: ${list.join(", ")}.`);
    }
    for (const note of config.notes) lines.push(`Note: ${note}.`);
    return lines;
}

/** Evaluates the program for a stack's config and renders it. Throws ConfigError (parseConfig's) on a bad config. */
export async function renderConfig(config: StackConfig, opts: { project?: string; appsDir?: string } = {}): Promise<Rendering> {
    const { resources } = await evaluateProgram(config.raw, {
        appsDir: opts.appsDir,
        registryPassword: config.registryPassword,
        imageDigest: () => PLACEHOLDER_DIGEST,
        project: opts.project ?? "knative-rollout",
        stack: config.stack,
    });
    const manifests = manifestsOf(resources);
    return { stack: config.stack, source: config.source, manifests, header: headerOf(config, resources, manifests), notes: config.notes };
}

export interface RenderOptions {
    /** Project directory (Pulumi.yaml and stack files); default the repository root. */
    projectDir?: string;
    /** `--set key=value` overrides, applied on top of the stack file. */
    set?: Record<string, string>;
    appsDir?: string;
}

/** Renders a stack by name (`dev`), by stack file path, or from a raw config (tests). */
export async function renderStack(stack: string | { stack: string; raw: RawConfig; registryPassword?: string }, opts: RenderOptions = {}): Promise<Rendering> {
    if (typeof stack !== "string") {
        const secrets = stack.registryPassword !== undefined ? ["registryPassword"] : [];
        return renderConfig({ stack: stack.stack, source: "raw config", raw: stack.raw, registryPassword: stack.registryPassword, secrets, overrides: {}, notes: [] }, { appsDir: opts.appsDir });
    }
    const project = loadProject(opts.projectDir);
    const config = readStackConfig(project, findStackFile(stack, project.dir), opts.set);
    return renderConfig(config, { project: project.name, appsDir: opts.appsDir });
}

// ---------------------------------------------------------------------------------------------
// Output

const yamlOptions = { lineWidth: 0, minContentWidth: 0, indentSeq: true } as const;

function comment(lines: string[]): string {
    return lines.map((l) => (l === "" ? "#" : `# ${l}`)).join("\n") + "\n";
}

/** One manifest as a YAML document, its comments first. */
export function manifestYaml(m: Manifest): string {
    return comment(m.comments) + YAML.stringify(m.object, yamlOptions);
}

/** The whole rendering as a multi-document YAML stream (header optional, e.g. for diffs). */
export function toYaml(r: Rendering, opts: { header?: boolean } = {}): string {
    const docs = r.manifests.map((m) => "---\n" + manifestYaml(m)).join("");
    return (opts.header === false ? "" : comment(r.header)) + docs;
}

/** One file per object: `NN-kind-name.yaml`, each with the header. */
export function manifestFiles(r: Rendering): { name: string; text: string }[] {
    return r.manifests.map((m, i) => ({
        name: `${String(i + 1).padStart(2, "0")}-${m.object.kind.toLowerCase()}-${m.object.metadata?.name ?? "unnamed"}.yaml`,
        text: comment(r.header) + "---\n" + manifestYaml(m),
    }));
}

/** Writes manifestFiles into dir, first removing files an earlier rendering left there. */
export function writeManifestFiles(r: Rendering, dir: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) if (/^\d\d-.+\.yaml$/.test(f)) fs.rmSync(path.join(dir, f));
    return manifestFiles(r).map(({ name, text }) => {
        fs.writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
    });
}

/** A unified diff from one rendering to another (manifests only: headers name their sources). */
export function diffRenderings(from: Rendering, to: Rendering): string {
    const a = toYaml(from, { header: false });
    const b = toYaml(to, { header: false });
    if (a === b) return "";
    return createTwoFilesPatch(from.source, to.source, a, b, undefined, undefined, { context: 3 })
        .replace(/^=+\n/m, "")
        .replace(/^Index: .*\n/m, "");
}
