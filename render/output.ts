/** A rendering as text: one YAML stream, one file per object, or a unified diff between two. */
import * as fs from "node:fs";
import * as path from "node:path";
import { createTwoFilesPatch } from "diff";
import * as YAML from "yaml";
import type { Manifest, Rendering } from "./manifests";


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
