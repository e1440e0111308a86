/**
 * `npm run render`: a stack's manifests from the program's own code, with no Pulumi CLI, Docker or
 * cluster. Stack files are written to temp dirs; Pulumi.yaml is the repository's.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { appVersionExists } from "../components";
import { CONFIG_KEYS, ConfigError, parseConfig, type RawConfig } from "../model";
import { main } from "./cli";
import { findStackFile, listStacks, loadProject, PLACEHOLDER_DIGEST, PROJECT_DIR, readStackConfig, RenderError, renderStack, secretPlaceholder, toYaml } from ".";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-render-"));
let n = 0;
/** Writes a stack file with these `knative-rollout:` values (plus any other top-level keys). */
function stackFile(config: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    const file = path.join(tmp, `Pulumi.t${n++}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ ...extra, config }));
    return file;
}
const ns = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`knative-rollout:${k}`, v]));
const DEV = { stableVersion: "v1", candidateVersion: "v2", rolloutPercent: 50, registry: "127.0.0.1:5000" };

/** Runs the CLI in this process; returns exit code and output. */
async function cli(...argv: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
}

/** parseConfig's own message for a raw config (what `pulumi up` prints). */
function parseConfigMessage(raw: RawConfig): string {
    try {
        parseConfig(raw, { versionExists: (v) => appVersionExists(v) });
    } catch (err) {
        if (err instanceof ConfigError) return err.message;
        throw err;
    }
    throw new Error("parseConfig accepted it");
}

const documents = (text: string) => YAML.parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d !== null);

describe("npm run render", function () {
    this.timeout(120000);

    it("the package.json script renders the committed dev stack (a subprocess), exit 0", () => {
        const run = spawnSync("npm", ["run", "--silent", "render", "--", "--stack", "dev"], { cwd: PROJECT_DIR, encoding: "utf8" });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stdout).to.match(/^# Kubernetes manifests of stack "dev": Pulumi\.dev\.yaml with the defaults in Pulumi\.yaml,\n/);
        const docs = documents(run.stdout);
        expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).to.deep.equal(["v1 Namespace", "serving.knative.dev/v1 Service"]);
        expect(docs[1].spec.traffic).to.deep.equal([
            { revisionName: "helloworld-python-v1", percent: 50, tag: "current" },
            { revisionName: "helloworld-python-v2", percent: 50, tag: "candidate" },
            { latestRevision: true, percent: 0, tag: "latest" },
        ]);
        expect(docs[1].spec.template.metadata.name).to.equal("helloworld-python-v2");
    });

    it("one document per object in a stable order (Namespace, Secret, Service), the same text every time", async () => {
        const file = stackFile(ns({ ...DEV, registryUsername: "ci", registryPassword: { secure: "v1:abc:def" }, autoscaling: { target: 3, minScale: 1 } }));
        const first = await cli("--stack", file);
        const second = await cli("--stack", file);
        expect(first.code, first.stderr).to.equal(0);
        expect(second.stdout).to.equal(first.stdout);
        const docs = documents(first.stdout);
        expect(docs.map((d) => d.kind)).to.deep.equal(["Namespace", "Secret", "Service"]);
        expect(first.stdout.match(/^---$/gm)).to.have.length(3);
        // Object and list values reach parseConfig as JSON, as Pulumi hands them over.
        expect(docs[2].spec.template.metadata.annotations).to.deep.equal({ "autoscaling.knative.dev/target": "3", "autoscaling.knative.dev/min-scale": "1" });
        expect(docs[2].spec.template.spec.imagePullSecrets).to.deep.equal([{ name: "helloworld-python-registry" }]);
    });

    it("shows the Service as the cluster ends up with it: the template merged with the traffic patch, and says so", async () => {
        const r = await renderStack(stackFile(ns(DEV)));
        const service = r.manifests.find((m) => m.object.kind === "Service")!;
        expect(Object.keys(service.object.spec)).to.deep.equal(["template", "traffic"]);
        expect(service.object.metadata.labels).to.deep.equal({ "knative-rollout.dev/environment": "dev" });
        const comments = service.comments.join("\n");
        expect(comments).to.include("2 field managers");
        expect(comments).to.match(/resource helloworld-python .*: metadata\.annotations, spec\.template/);
        expect(comments).to.match(/patch helloworld-python-traffic, field manager knative-rollout-traffic: .*spec\.traffic/);
    });

    it("image digests are an explicit placeholder that never looks like a real digest, and the header says so", async () => {
        const r = await renderStack(stackFile(ns(DEV)));
        const text = toYaml(r);
        expect(PLACEHOLDER_DIGEST).to.match(/^sha256:[0-9a-f]{64}$/); // what Knative's webhook parses
        expect(new Set(PLACEHOLDER_DIGEST.slice("sha256:".length))).to.deep.equal(new Set(["0"]));
        const digests = text.match(/sha256:[0-9a-f]{64}/g) ?? [];
        expect(digests).to.have.length(1); // the candidate's template; the stable revision is the bootstrap's
        expect(new Set(digests)).to.deep.equal(new Set([PLACEHOLDER_DIGEST]));
        // Nothing else that could pass for a digest: no other long hex run anywhere.
        expect(text.replaceAll(PLACEHOLDER_DIGEST, "").match(/[0-9a-f]{32,}/g)).to.equal(null);
        expect(r.header.join("\n")).to.match(/image digests: @sha256:0+…0 \(64 zeros\) stands for the digest the build pushes/);
        expect(r.header.join("\n")).to.include("only a build can know");
    });

    it("the header says the bootstrap is not a manifest and that the stable revision is created first", async () => {
        const r = await renderStack(stackFile(ns(DEV)));
        const header = r.header.join(" ");
        expect(header).to.include("Not a manifest: the bootstrap (ServiceBootstrap)");
        expect(header).to.include("the stable revision is created first");
        expect(header).to.include("100% of traffic on helloworld-python-v1");
        // A candidate-only stack has no bootstrap.
        const only = await renderStack(stackFile(ns({ candidateVersion: "v2", registry: "127.0.0.1:5000" })));
        expect(only.header.join(" ")).not.to.include("ServiceBootstrap");
    });

    it("secrets render as a placeholder, never a value, and the header says so", async () => {
        const file = stackFile(ns({ ...DEV, registryUsername: "ci", registryPassword: { secure: "v1:c2FsdA==:Y2lwaGVydGV4dA==" } }), { encryptionsalt: "v1:abc" });
        const { code, stdout } = await cli("--stack", file);
        expect(code).to.equal(0);
        const secret = documents(stdout).find((d) => d.kind === "Secret");
        const dockerconfig = JSON.parse(secret.stringData[".dockerconfigjson"]);
        expect(dockerconfig.auths["127.0.0.1:5000"].password).to.equal(secretPlaceholder("registryPassword"));
        expect(stdout).not.to.include("Y2lwaGVydGV4dA");
        expect(stdout).to.include(`# - secrets: "[secret registryPassword: not decrypted]" stands for the value:\n#   secure: values need the stack's passphrase`);
        // A plain-text password in a stack file is refused, as `pulumi up` refuses it, and never printed.
        const plain = await cli("--stack", stackFile(ns({ ...DEV, registryUsername: "ci", registryPassword: "hunter2" })));
        expect(plain.code).to.equal(1);
        expect(plain.stderr).to.include("registryPassword is stored in plaintext in the stack file; store it encrypted: pulumi config set --secret registryPassword");
        expect(plain.stdout + plain.stderr).not.to.include("hunter2");
        // Nor one given on the command line, not even in a diff's labels.
        const set = await cli("--stack", file, "--set", "registryPassword=hunter2", "--diff", file);
        expect(set.code).to.equal(0);
        expect(set.stdout + set.stderr).not.to.include("hunter2");
    });

    it("--diff of rolloutPercent 50 → 80 changes exactly the two percent lines of spec.traffic", async () => {
        const file = stackFile(ns(DEV));
        const { code, stdout } = await cli("--stack", file, "--set", "rolloutPercent=80", "--diff", file);
        expect(code).to.equal(0);
        const lines = stdout.split("\n");
        expect(lines[0]).to.equal(`--- ${file}`);
        expect(lines[1]).to.equal(`+++ ${file} --set rolloutPercent=80`);
        const changed = lines.slice(2).filter((l) => l.startsWith("-") || l.startsWith("+"));
        expect(changed).to.deep.equal(["-      percent: 50", "+      percent: 20", "-      percent: 50", "+      percent: 80"]);
        expect(lines.filter((l) => l.startsWith("@@"))).to.have.length(1);
    });

    it("--diff of two stacks with the same manifests prints nothing and says so", async () => {
        // The same stack name in two folders: a namespace names the stack that owns it.
        const a = stackFile(ns(DEV));
        const b = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "knative-rollout-render-")), path.basename(a));
        fs.writeFileSync(b, YAML.stringify({ config: { ...ns(DEV), "kubernetes:context": "other" } }));
        const { code, stdout, stderr } = await cli("--stack", b, "--diff", a);
        expect(code).to.equal(0);
        expect(stdout).to.equal("");
        expect(stderr).to.include("no differences");
    });

    it("a bad stack file fails with parseConfig's message, exit 1", async () => {
        const bad = { ...DEV, rolloutPercent: 150, stableVersion: "v1", candidateVersion: "v9" };
        const { code, stdout, stderr } = await cli("--stack", stackFile(ns(bad)));
        expect(code).to.equal(1);
        expect(stdout).to.equal("");
        const expected = parseConfigMessage({ ...Object.fromEntries(Object.entries(bad).map(([k, v]) => [k, String(v)])) });
        expect(expected).to.include("rolloutPercent must be an integer from 0 to 100").and.include(`candidateVersion "v9" has no app`);
        expect(stderr.trim()).to.equal(expected);
    });

    it("the same as a subprocess: message on stderr, exit 1", () => {
        const run = spawnSync(path.join(PROJECT_DIR, "node_modules", ".bin", "ts-node"), ["--transpile-only", "render/cli.ts", "--stack", stackFile(ns({ ...DEV, rolloutPercent: 150 }))], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
        });
        expect(run.status).to.equal(1);
        expect(run.stdout).to.equal("");
        expect(run.stderr.trim()).to.equal(parseConfigMessage({ ...DEV, rolloutPercent: "150" } as unknown as RawConfig));
    });

    it("Pulumi's own type checks of the keys Pulumi.yaml declares come first, with Pulumi's messages", async () => {
        let r = await cli("--stack", stackFile(ns({ ...DEV, rolloutPercent: "half" })));
        expect([r.code, r.stderr.trim()]).to.deep.equal([1, "Stack 't" + (n - 1) + "' with configuration key 'rolloutPercent' must be of type 'integer'"]);
        r = await cli("--stack", stackFile(ns({ ...DEV, awaitReady: "yes" })));
        expect([r.code, r.stderr.trim()]).to.deep.equal([1, "Stack 't" + (n - 1) + "' with configuration key 'awaitReady' must be of type 'boolean'"]);
        r = await cli("--stack", stackFile(ns({ ...DEV, allowedRolloutSteps: "0,50" })));
        expect([r.code, r.stderr.trim()]).to.deep.equal([1, "Stack 't" + (n - 1) + "' with configuration key 'allowedRolloutSteps' must be of type 'array<integer>'"]);
    });

    it("a key Pulumi.yaml declares `secret: true` must be encrypted in the stack file, as Pulumi demands", () => {
        const dir = fs.mkdtempSync(path.join(tmp, "project-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify({ name: "knative-rollout", runtime: "nodejs", config: { registryPassword: { type: "string", secret: true } } }));
        fs.writeFileSync(path.join(dir, "Pulumi.s.yaml"), YAML.stringify({ config: { "knative-rollout:registryPassword": "plain" } }));
        const project = loadProject(dir);
        expect(() => readStackConfig(project, findStackFile("s", dir))).to.throw(RenderError, "Stack 's' with configuration key 'registryPassword' must be encrypted as it's secret");
        fs.writeFileSync(path.join(dir, "Pulumi.s.yaml"), YAML.stringify({ config: { "knative-rollout:registryPassword": { secure: "v1:x" } } }));
        expect(readStackConfig(project, findStackFile("s", dir)).secrets).to.deep.equal(["registryPassword"]);
        // Declared without a default: Pulumi's "missing configuration value".
        fs.writeFileSync(path.join(dir, "Pulumi.s.yaml"), "config: {}\n");
        expect(() => readStackConfig(project, findStackFile("s", dir))).to.throw(RenderError, "Stack 's' is missing configuration value 'registryPassword'");
    });

    it("an unknown stack is an error that lists the stacks that exist", async () => {
        const { code, stderr } = await cli("--stack", "nope");
        expect(code).to.equal(1);
        expect(stderr.trim()).to.equal(`no stack "nope": there is no Pulumi.nope.yaml in ${PROJECT_DIR}. Stacks: ${listStacks().join(", ")}.`);
        expect(listStacks()).to.include.members(["dev", "e2e"]);
    });

    it("an unknown knative-rollout: key is an error (typo protection); other namespaces are ignored with a note", async () => {
        let r = await cli("--stack", stackFile({ ...ns(DEV), "knative-rollout:rolloutPercnt": 80 }));
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/unknown key knative-rollout:rolloutPercnt \(did you mean knative-rollout:rolloutPercent\?\); the program reads only rolloutPercent, /);
        r = await cli("--stack", stackFile(ns(DEV)), "--set", "rolloutPercnt=80");
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/^--set rolloutPercnt: unknown key/);
        r = await cli("--stack", stackFile({ ...ns(DEV), "kubernetes:context": "kind", "kubernetes:namespace": "x" }));
        expect(r.code).to.equal(0);
        expect(r.stderr).to.include("note: ignored kubernetes:context: not in the knative-rollout: namespace");
        expect(r.stdout).to.include("# Note: ignored kubernetes:namespace: not in the knative-rollout: namespace");
    });

    it("reads every key generically: unset keys get Pulumi.yaml's defaults, and every CONFIG_KEYS key can be set", async () => {
        const withDefaults = await renderStack(stackFile(ns(DEV)));
        const ns0 = withDefaults.manifests[0].object;
        expect(ns0.metadata.name).to.equal("revs"); // Pulumi.yaml's default namespace
        for (const key of CONFIG_KEYS) {
            // An unknown key fails above; a known one is at least accepted by the reader.
            const r = await cli("--stack", stackFile({ ...ns(DEV), [`knative-rollout:${key}`]: "" }));
            expect(r.stderr, key).not.to.include("unknown key");
        }
    });

    it("--out writes one file per object, each with the header", async () => {
        const out = path.join(tmp, "out");
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, "09-stale-thing.yaml"), "stale");
        const { code } = await cli("--stack", stackFile(ns({ ...DEV, registryUsername: "ci", registryPassword: { secure: "v1:x" } })), "--out", out);
        expect(code).to.equal(0);
        expect(fs.readdirSync(out).sort()).to.deep.equal(["01-namespace-revs.yaml", "02-secret-helloworld-python-registry.yaml", "03-service-helloworld-python.yaml"]);
        for (const f of fs.readdirSync(out)) {
            const text = fs.readFileSync(path.join(out, f), "utf8");
            expect(text).to.match(/^# Kubernetes manifests of stack "t\d+"/);
            expect(documents(text)).to.have.length(1);
        }
    });

    it("usage errors exit 1", async () => {
        expect((await cli()).code).to.equal(1);
        expect((await cli("--stack", "dev", "--bogus")).code).to.equal(1);
        expect((await cli("--stack", "dev", "--set", "noequals")).code).to.equal(1);
        expect((await cli("--stack", "dev", "--out", tmp, "--diff", "dev")).code).to.equal(1);
        expect((await cli("--help")).code).to.equal(0);
    });

    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
});
