/**
 * Turns what the program registers under Pulumi's mocks (render/evaluate.ts) into manifests, one
 * object each, in a stable order, as the cluster ends up with them (a patch merged into the object
 * it patches), with a header that says what only a deploy can know: image digests (only a build
 * knows them) and secrets (only the passphrase decrypts them).
 */
import { FIELD_MANAGERS, PROJECT, type RawConfig, TYPES } from "../model";
import { evaluateProgram, type Registered } from "./evaluate";
import { findStackFile, isMap, loadProject } from "./project";
import { type StackConfig, readStackConfig, secretPlaceholder } from "./stackConfig";

/**
 * The digest every image reference carries in a rendering. Knative's webhook accepts only
 * `sha256:` + 64 hex digits after `@` (tests/knative/validator rejects anything else, a
 * `<placeholder>` included), so the placeholder is a syntactically valid digest that no content
 * has: 64 zeros.
 */
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;


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
                const traffic = owners.some((o) => o.what.includes(FIELD_MANAGERS.traffic));
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
        `rendered by \`npm run render\` from the program's own code (parseConfig, KnativeRollout) under`,
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
    const bootstrap = resources.find((r) => r.type === TYPES.bootstrap);
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
        if (r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:") || r.type.startsWith(`${PROJECT}:index:`)) continue;
        if (r.type === TYPES.bootstrap) continue;
        const short = r.type.replace(`pulumi-nodejs:dynamic/${PROJECT}:`, "");
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
