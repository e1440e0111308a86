/**
 * The `local` stack through the real Pulumi CLI and the real kubernetes and docker-build
 * providers, with no cluster: `pulumi up --stack local` builds both images into the local Docker
 * engine without pushing them and writes the manifests to rendered/.
 *
 * Needs the harness's CLI and plugins (e2e/up.sh's env file) and a Docker engine (the images
 * are loaded into it); KUBECONFIG points at nothing, so any cluster access would fail.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO, PulumiStack, requireHarnessEnv, scratchProject, sh } from "./harness";

requireHarnessEnv();

describe("real engine: the local stack (no cluster)", function () {
    this.timeout(20 * 60 * 1000);
    const dir = scratchProject();
    fs.copyFileSync(path.join(REPO, "Pulumi.local.yaml"), path.join(dir, "Pulumi.local.yaml"));
    const stack = new PulumiStack(dir, "local");
    const rendered = path.join(dir, "rendered", "1-manifest");
    const files = () => (fs.existsSync(rendered) ? fs.readdirSync(rendered).sort() : []);
    const serviceFile = path.join(rendered, "serving.knative.dev_v1-service-revs-helloworld-python.yaml");
    // Nothing listens here: a push, or a pull of a cache from it, would fail the build.
    const unreachableRegistry = "127.0.0.1:9/local-only";
    let env: NodeJS.ProcessEnv;

    before(() => {
        env = { ...process.env };
        process.env.KUBECONFIG = path.join(dir, "no-such-kubeconfig");
        stack.init();
        stack.config("registry", unreachableRegistry);
        stack.config("pythonImage", process.env.E2E_PYTHON_IMAGE!);
    });
    after(() => {
        process.env = env;
    });

    it("`pulumi up` writes the namespace and one complete Knative Service, and loads both images into Docker", () => {
        const r = stack.ok("up", "--yes");
        console.log(`      pulumi up --stack local: ${r.seconds.toFixed(1)} s`);
        expect(files()).to.deep.equal(["serving.knative.dev_v1-service-revs-helloworld-python.yaml", "v1-namespace-default-revs.yaml"]);
        const service = parse(fs.readFileSync(serviceFile, "utf8"));
        expect(service).to.include({ apiVersion: "serving.knative.dev/v1", kind: "Service" });
        expect(service.metadata).to.include({ name: "helloworld-python", namespace: "revs" });
        expect(service.spec.template.metadata.name).to.equal("helloworld-python-v2");
        expect(service.spec.template.spec.containers[0].image).to.equal(`${unreachableRegistry}/helloworld-python:v2`);
        expect(service.spec.traffic).to.deep.equal([
            { revisionName: "helloworld-python-v1", percent: 50, tag: "current" },
            { revisionName: "helloworld-python-v2", percent: 50, tag: "candidate" },
            { latestRevision: true, percent: 0, tag: "latest" },
        ]);
        for (const v of ["v1", "v2"]) {
            const inspect = sh("docker", ["image", "inspect", "--format", "{{.Id}}", `${unreachableRegistry}/helloworld-python:${v}`], dir);
            expect(inspect.code, inspect.out).to.equal(0);
        }
    });

    it("a rolloutPercent change re-renders the Service with two percents changed and nothing else", () => {
        const before = fs.readFileSync(serviceFile, "utf8");
        stack.config("rolloutPercent", "80");
        stack.ok("up", "--yes");
        const after = fs.readFileSync(serviceFile, "utf8");
        const changed = after.split("\n").filter((line, i) => line !== before.split("\n")[i]);
        expect(changed.map((l) => l.trim())).to.deep.equal(["- percent: 20", "- percent: 80"]);
    });
});
