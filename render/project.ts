/**
 * The project and its stack files, read as Pulumi reads them: `Pulumi.yaml`'s declared keys
 * (with their types and defaults) and the `Pulumi.<stack>.yaml` files beside it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

/** The repository root: where Pulumi.yaml and the committed stack files live. */
export const PROJECT_DIR = path.join(__dirname, "..");

/** A stack file or command line the renderer refuses; the CLI prints the message and exits 1. */
export class RenderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RenderError";
    }
}

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

export function readYaml(file: string): unknown {
    try {
        return YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new RenderError(`${path.basename(file)} is not valid YAML: ${(err as Error).message}`);
    }
}

export const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

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
export function splitKey(project: string, key: string): { namespace: string; name: string } {
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
