/**
 * The documentation stays true: README.md and docs/*.md.
 *
 *   - every relative link points to a file that exists, and every #anchor to a heading of that
 *     file (GitHub's slugs);
 *   - the README's quick-start commands answer --help with exit 0 (and `npm run render` renders
 *     the dev stack: its dry run), and `.ci/run` runs `bash scripts/test.sh`;
 *   - every `npm run <script>` the docs show is a script in package.json;
 *   - every config key named as `knative-rollout:<key>`, and every row of the configuration
 *     reference's key table, is one Pulumi.yaml declares (and the table lists every one);
 *   - every repository path the docs quote in backticks exists.
 *
 * Fast and offline. Each checker is also run on broken input first, so every check is shown able
 * to fail. One file: npx mocha --no-config --require ts-node/register/transpile-only tests/docs.test.ts
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const REPO = path.join(__dirname, "..");
const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), "utf8");

/** README.md and every docs/*.md, as repository-relative paths. */
function docFiles(): string[] {
    const docs = fs.readdirSync(path.join(REPO, "docs")).filter((f) => f.endsWith(".md")).sort();
    return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

// ---------------------------------------------------------------------------------------------
// Markdown, as far as these checks need it

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The text with fenced code blocks blanked (line numbers kept). */
export function withoutFences(markdown: string): string {
    let fence: string | undefined;
    return markdown
        .split("\n")
        .map((line) => {
            const m = FENCE.exec(line);
            if (fence === undefined && m) {
                fence = m[1];
                return "";
            }
            if (fence !== undefined) {
                if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = undefined;
                return "";
            }
            return line;
        })
        .join("\n");
}

const CODE_SPAN = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;

/** The contents of every inline code span outside fenced blocks. */
export function codeSpans(markdown: string): string[] {
    return [...withoutFences(markdown).matchAll(CODE_SPAN)].map((m) => m[2].trim());
}

/** GitHub's heading anchor (github-slugger): lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
    const text = heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
        .replace(/<[^>]+>/g, "") // HTML tags
        .replace(/[`*~]/g, ""); // code and emphasis marks
    return text
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-");
}

/** The anchors of a document's headings, duplicates numbered as GitHub numbers them. */
export function anchors(markdown: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const line of withoutFences(markdown).split("\n")) {
        const m = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
        if (!m) continue;
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
}

/** Link targets (inline links, images, reference definitions), outside code. */
export function linkTargets(markdown: string): { target: string; line: number }[] {
    const lines = withoutFences(markdown).split("\n").map((l) => l.replace(CODE_SPAN, "code"));
    const out: { target: string; line: number }[] = [];
    lines.forEach((text, i) => {
        for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
            out.push({ target: m[1].replace(/^<|>$/g, ""), line: i + 1 });
        }
        const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
        if (def) out.push({ target: def[1].replace(/^<|>$/g, ""), line: i + 1 });
    });
    return out;
}

interface Tree {
    exists(rel: string): boolean;
    read(rel: string): string;
}

const REPO_TREE: Tree = {
    exists: (rel) => fs.existsSync(path.join(REPO, rel)),
    read: (rel) => read(rel),
};

/** Broken relative links and anchors of one document (`file` is repository-relative). */
export function linkProblems(file: string, markdown: string, tree: Tree = REPO_TREE): string[] {
    const problems: string[] = [];
    for (const { target, line } of linkTargets(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target === "") continue; // http:, https:, mailto:
        const hash = target.indexOf("#");
        const pathPart = decodeURI(hash < 0 ? target : target.slice(0, hash));
        const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
        const rel = pathPart === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
        const self = rel === file;
        const where = `${file}:${line}: ${target}`;
        if (rel.startsWith("..")) {
            problems.push(`${where}: points outside the repository`);
            continue;
        }
        if (!self && !tree.exists(rel.replace(/\/$/, "") || ".")) {
            problems.push(`${where}: ${rel} does not exist`);
            continue;
        }
        if (anchor !== undefined) {
            if (!rel.endsWith(".md")) {
                problems.push(`${where}: an anchor into ${rel}, which is not Markdown`);
            } else if (!anchors(self ? markdown : tree.read(rel)).has(anchor)) {
                problems.push(`${where}: ${rel} has no heading with the anchor #${anchor}`);
            }
        }
    }
    return problems;
}

/** The scripts a document runs with `npm run [--silent] <script>`. */
export function npmScripts(markdown: string): string[] {
    // A name may hold ":" (bench:verify); one ending a sentence or a label ("npm run verify: …") does not belong to it.
    return [...markdown.matchAll(/\bnpm run (?:(?:--silent|-s)\s+)?([A-Za-z0-9][A-Za-z0-9:_.-]*)/g)].map((m) => m[1].replace(/[:.]+$/, ""));
}

/** Config keys a document names as `knative-rollout:<key>` (not type tokens such as `knative-rollout:index:X`). */
export function namespacedKeys(markdown: string): string[] {
    return [...markdown.matchAll(/(?<![\w/.@-])knative-rollout:([A-Za-z][A-Za-z0-9]*)(?![\w:])/g)].map((m) => m[1]);
}

/** The first cell (a code span) of every row of the first table whose first header cell is `header`. */
export function tableColumn(markdown: string, header: string, after = ""): string[] {
    const text = withoutFences(markdown);
    const start = after === "" ? 0 : text.indexOf(after);
    if (start < 0) return [];
    const lines = text.slice(start).split("\n");
    const head = lines.findIndex((l) => new RegExp(`^\\|\\s*${header}\\s*\\|`).test(l));
    if (head < 0) return [];
    const out: string[] = [];
    for (const line of lines.slice(head + 2)) {
        if (!line.startsWith("|")) break;
        const cell = /^\|\s*`([^`]+)`/.exec(line);
        if (cell) out.push(cell[1]);
    }
    return out;
}

/** Repository paths quoted in backticks (`dir/file`, `Pulumi.<x>.yaml`) that do not exist. */
export function missingPaths(markdown: string, tree: Tree = REPO_TREE): string[] {
    const topLevel = new Set(fs.readdirSync(REPO));
    // Made at run time, never committed (so absent from a fresh clone, as CI has it).
    const runtime = /^(e2e\/\.run|rendered|\.quickstart)(\/|$)|^Pulumi\.quickstart\.yaml$/;
    return codeSpans(markdown)
        .map((span) => span.replace(/^\.\//, ""))
        .filter((span) => /^[\w.-]+(\/[\w.-]+)*\/?$/.test(span))
        .filter((span) => (span.includes("/") && topLevel.has(span.split("/")[0])) || /^Pulumi\.[\w.-]*yaml$/.test(span))
        .filter((span) => !runtime.test(span))
        .filter((span) => !tree.exists(span.replace(/\/$/, "")));
}

// ---------------------------------------------------------------------------------------------

/** Runs a command in the repository; npm's own banner is off with --silent. */
function run(command: string, args: string[]): { code: number | null; out: string } {
    const r = spawnSync(command, args, { cwd: REPO, encoding: "utf8", timeout: 60_000, env: { ...process.env, CI: "true" } });
    return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

const packageScripts = (): Record<string, string> => JSON.parse(read("package.json")).scripts;
const declaredKeys = (): string[] => Object.keys(parse(read("Pulumi.yaml")).config);

describe("docs: the checkers fail on broken input", () => {
    const fake = (files: Record<string, string>): Tree => ({
        exists: (rel) => rel in files || Object.keys(files).some((f) => f.startsWith(`${rel}/`)),
        read: (rel) => files[rel],
    });

    it("slugs headings as GitHub does", () => {
        expect(slug("One false-abort budget α")).to.equal("one-false-abort-budget-α");
        expect(slug("No Docker Hub? Build on your own base: `PYTHON_IMAGE`")).to.equal("no-docker-hub-build-on-your-own-base-python_image");
        expect(slug("`npm run bench:verify`: the split verifier's decision procedure")).to.equal("npm-run-benchverify-the-split-verifiers-decision-procedure");
        expect([...anchors("# A\n## A\n```\n# not a heading\n```\n### A")]).to.deep.equal(["a", "a-1", "a-2"]);
    });

    it("finds a missing file, a missing anchor, and a link out of the repository; ignores code and URLs", () => {
        const tree = fake({ "docs/a.md": "# Title\n## Two words\n", "README.md": "" });
        const doc = [
            "[ok](docs/a.md#two-words) [ok](#here) [web](https://example.com/x.md)",
            "# Here",
            "[gone](docs/b.md) [bad anchor](docs/a.md#three-words) [out](../x.md)",
            "`[not a link](nowhere.md)`",
            "```\n[not a link](nowhere.md)\n```",
        ].join("\n");
        const problems = linkProblems("README.md", doc, tree);
        expect(problems).to.have.length(3);
        expect(problems.join("\n")).to.include("docs/b.md does not exist").and.include("#three-words").and.include("outside the repository");
    });

    it("reads npm scripts, namespaced config keys, a table's first column and quoted paths", () => {
        expect(npmScripts("npm run --silent verify -- --help; npm run nosuch\n`npm run bench:app`, npm run render: x")).to.deep.equal(["verify", "nosuch", "bench:app", "render"]);
        expect(namespacedKeys("knative-rollout:rolloutPercnt knative-rollout:verify.gate knative-rollout:index:KnativeRollout pulumi-nodejs:dynamic/knative-rollout:ReadinessGate")).to.deep.equal([
            "rolloutPercnt",
            "verify",
        ]);
        expect(tableColumn("## Keys\n| key | type |\n|---|---|\n| `a` | x |\n| `b` | y |\n\n| key |\n|---|\n| `c` |", "key", "## Keys")).to.deep.equal(["a", "b"]);
        // A fresh clone: the run-time paths (e2e/.run, rendered/, .quickstart/) do not exist yet.
        const clone = fake({ "model/config.ts": "" });
        expect(missingPaths("`model/config.ts` `model/nope.ts` `e2e/.run` `e2e/.run/env.sh` `rendered/` `apps/<version>/` `Pulumi.nope.yaml`", clone)).to.deep.equal([
            "model/nope.ts",
            "Pulumi.nope.yaml",
        ]);
    });
});

describe("docs: README.md and docs/*.md", function () {
    this.timeout(120_000);
    const files = docFiles();

    it("the README stays short (at most about 150 lines)", () => {
        expect(read("README.md").split("\n").length).to.be.at.most(160);
    });

    it("every relative link points to a file that exists, and every #anchor to a heading in it", () => {
        const problems = files.flatMap((f) => linkProblems(f, read(f)));
        expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it("the README links every doc", () => {
        const linked = new Set(linkTargets(read("README.md")).map((l) => l.target.split("#")[0]));
        const unlinked = files.filter((f) => f !== "README.md" && !linked.has(f));
        expect(unlinked, `not linked from README.md: ${unlinked.join(", ")}`).to.deep.equal([]);
    });

    it("every `npm run <script>` is a script in package.json", () => {
        const scripts = packageScripts();
        const unknown = files.flatMap((f) => npmScripts(read(f)).filter((s) => !(s in scripts)).map((s) => `${f}: npm run ${s}`));
        expect(unknown, unknown.join("\n")).to.deep.equal([]);
    });

    it("every config key named as knative-rollout:<key> is declared in Pulumi.yaml", () => {
        const declared = new Set(declaredKeys());
        const unknown = files.flatMap((f) => namespacedKeys(read(f)).filter((k) => !declared.has(k)).map((k) => `${f}: knative-rollout:${k}`));
        expect(unknown, unknown.join("\n")).to.deep.equal([]);
    });

    it("every repository path quoted in backticks exists", () => {
        const missing = files.flatMap((f) => missingPaths(read(f)).map((p) => `${f}: ${p}`));
        expect(missing, missing.join("\n")).to.deep.equal([]);
    });
});

describe("docs: the configuration reference", () => {
    const doc = read("docs/configuration.md");
    const config = parse(read("Pulumi.yaml")).config as Record<string, { description?: string }>;
    /** The fields an object key's description lists as `{a, b, c}`. */
    const fieldsOf = (key: string) => (/\{([^}]+)\}/.exec(config[key].description ?? "")?.[1] ?? "").split(",").map((s) => s.trim());

    it("its key table lists exactly the keys Pulumi.yaml declares", () => {
        expect(tableColumn(doc, "key", "## Keys")).to.have.members(declaredKeys());
    });

    it("its autoscaling and verify tables list exactly the fields Pulumi.yaml describes", () => {
        expect(tableColumn(doc, "field", "### `autoscaling`")).to.have.members(fieldsOf("autoscaling"));
        expect(tableColumn(doc, "field", "### `verify`")).to.have.members(fieldsOf("verify"));
    });
});

describe("docs: the README's commands work", function () {
    this.timeout(120_000);
    const readme = read("README.md");
    const scripts = packageScripts();

    for (const [command, args, usage] of [
        ["bash", ["scripts/quickstart.sh", "--help"], "Usage: npm run quickstart"],
        ["npm", ["run", "--silent", "quickstart", "--", "--help"], "Usage: npm run quickstart"],
        ["npm", ["run", "--silent", "verify", "--", "--help"], "usage: npm run verify"],
        ["npm", ["run", "--silent", "render", "--", "--help"], "usage: npm run render"],
        ["npm", ["run", "--silent", "rollout", "--", "--help"], "usage: npm run rollout"],
    ] as const) {
        const line = `${command} ${args.join(" ")}`;
        it(`${line} exits 0 with its usage`, () => {
            if (command === "npm") expect(scripts, `package.json has no script ${args[2]}`).to.have.property(args[2]);
            else expect(fs.existsSync(path.join(REPO, args[0])), `${args[0]} exists`).to.equal(true);
            const r = run(command, [...args]);
            expect(r.code, r.out).to.equal(0);
            expect(r.out).to.include(usage);
        });
    }

    it("npm run render -- --stack dev (the no-cluster dry run) renders the Service and its split", () => {
        const r = run("npm", ["run", "--silent", "render", "--", "--stack", "dev"]);
        expect(r.code, r.out).to.equal(0);
        expect(r.out).to.include("kind: Service").and.include("revisionName: helloworld-python-v1").and.include("percent: 50");
    });

    it("the README shows the two commands, the no-cluster paths and the progressive command", () => {
        for (const text of [
            "npm run quickstart",
            "npm run quickstart -- --down",
            "bash scripts/test.sh",
            "npm run render -- --stack dev",
            "Pulumi.local.yaml",
            "pulumi config set rolloutPercent",
            "pulumi preview --diff",
            "npm run verify --",
            "npm run rollout -- --stack",
        ]) {
            expect(readme, `README.md shows ${text}`).to.include(text);
        }
        expect(scripts.quickstart).to.equal("bash scripts/quickstart.sh");
    });

    it("CI runs the README's test command: .ci/run runs bash scripts/test.sh", () => {
        expect(fs.existsSync(path.join(REPO, "scripts/test.sh"))).to.equal(true);
        expect(read(".ci/run")).to.match(/^exec bash scripts\/test\.sh\s*$/m);
    });
});
