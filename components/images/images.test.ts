import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { pinChanges, templateChangeProblems } from "../../model";
import { makeAppsDir } from "../../tests/support/program";
import { appContentHash, contextFiles } from "./appContent";

describe("app content hash", () => {
    const inputs = { platform: "linux/amd64", PYTHON_IMAGE: undefined };

    it("is stable for the same content", () => {
        const a = makeAppsDir(["v1"]);
        const b = makeAppsDir(["v1"]);
        expect(appContentHash(path.join(a, "v1"), inputs)).to.equal(appContentHash(path.join(b, "v1"), inputs)).and.match(/^sha256:[0-9a-f]{64}$/);
    });

    it("changes with a file's bytes, a new file, or a build input", () => {
        const dir = path.join(makeAppsDir(["v1"]), "v1");
        const before = appContentHash(dir, inputs);
        fs.writeFileSync(path.join(dir, "app.py"), 'print("v1!")\n');
        const edited = appContentHash(dir, inputs);
        expect(edited).not.to.equal(before);
        fs.writeFileSync(path.join(dir, "extra.py"), "\n");
        expect(appContentHash(dir, inputs)).not.to.equal(edited);
        expect(appContentHash(dir, { ...inputs, PYTHON_IMAGE: "127.0.0.1:5000/python@sha256:00" })).not.to.equal(appContentHash(dir, inputs));
    });

    it("ignores what .dockerignore keeps out of the build", () => {
        const dir = path.join(makeAppsDir(["v1"]), "v1");
        const before = appContentHash(dir, inputs);
        fs.writeFileSync(path.join(dir, "NOTES.md"), "not built\n");
        fs.mkdirSync(path.join(dir, "__pycache__"));
        fs.writeFileSync(path.join(dir, "__pycache__", "app.cpython-312.pyc"), "x");
        expect(appContentHash(dir, inputs)).to.equal(before);
        expect(contextFiles(dir)).to.deep.equal([".dockerignore", "Dockerfile", "app.py"]);
    });
});

describe("image pin", () => {
    const pin = { contentHash: "sha256:aa", ref: "r/app:v2@sha256:11" };

    it("keeps the recorded digest when only the builder's digest moved (non-reproducible rebuild)", () => {
        expect(pinChanges(pin, { contentHash: "sha256:aa", ref: "r/app:v2@sha256:22" })).to.equal(false);
    });

    it("moves when the app's content changed", () => {
        expect(pinChanges(pin, { contentHash: "sha256:bb", ref: "r/app:v2@sha256:22" })).to.equal(true);
    });
});

describe("template guard", () => {
    const olds = { revisionName: "svc-v2", inputs: { "apps/v2": "sha256:aa", target: "World", autoscaling: "{}" } };

    it("allows the first run, a traffic-only run and a new revision name", () => {
        expect(templateChangeProblems({}, olds)).to.deep.equal([]);
        expect(templateChangeProblems(olds, { ...olds })).to.deep.equal([]);
        expect(templateChangeProblems(olds, { revisionName: "svc-v3", inputs: { ...olds.inputs, "apps/v2": "sha256:bb" } })).to.deep.equal([]);
    });

    it("rejects a template change under the same name, naming the key to change", () => {
        const problems = templateChangeProblems(olds, { revisionName: "svc-v2", inputs: { ...olds.inputs, target: "Knative" } });
        expect(problems).to.have.length(1);
        expect(problems[0]).to.equal(
            "the revision template of svc-v2 changed (target) but its name did not. Knative rejects a template change under an unchanged revision name. " +
                "Ship the change as a new version: add apps/<new-version>, set candidateVersion to it (and stableVersion to the current one to split traffic); or revert target.",
        );
    });

    it("lists every changed input", () => {
        const problems = templateChangeProblems(olds, { revisionName: "svc-v2", inputs: { "apps/v2": "sha256:bb", target: "World", autoscaling: '{"minScale":1}' } });
        expect(problems[0]).to.include("changed (apps/v2, autoscaling)");
    });
});
