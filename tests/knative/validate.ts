/**
 * Knative Serving's own defaulting and validation (the webhook's SetDefaults + Validate), through
 * the Go tool in tests/knative/validator, for the suites that judge manifests with it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const TOOL_DIR = path.join(__dirname, "validator");
const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "knative-rollout");
const TOOL = path.join(CACHE, "knative-validate");

/** Builds the validator (Go's build cache makes a warm build take about a second); returns why it cannot, if Go is missing. */
export function buildValidator(): string | undefined {
    if (spawnSync("go", ["version"]).status !== 0) return "Go is not installed";
    fs.mkdirSync(CACHE, { recursive: true });
    const build = spawnSync("go", ["build", "-trimpath", "-o", TOOL, "."], {
        cwd: TOOL_DIR,
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
        encoding: "utf8",
    });
    if (build.status !== 0) throw new Error(`building tests/knative/validator failed:\n${build.stderr}`);
    return undefined;
}

export interface Profile {
    name: string;
    /** The validator's flags for this cluster configuration. */
    args: string[];
    /** The container name Knative's defaulting gives ours under this config. */
    container: string;
}

/** Knative's shipped config, and a hardened one whose defaulting differs. */
export const PROFILES: Profile[] = [
    { name: "Knative's shipped config", args: [], container: "user-container" },
    {
        name: "secure-pod-defaults + a custom container-name-template",
        args: ["-features", "secure-pod-defaults=enabled", "-defaults", "container-name-template=app-{{.Name}}"],
        container: "app-helloworld-python",
    },
];

export type Obj = Record<string, any>;

/** The verdict of one admission: the stored (defaulted) object, and Knative's warnings. */
export interface Admitted {
    stored: Obj;
    warnings: string[];
}

let tmp: string | undefined;
let n = 0;
process.on("exit", () => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the webhook's code on a create or an update; throws Knative's message on rejection. */
export function admit(profile: Profile, ...op: ["create", Obj] | ["update", Obj, Obj]): Admitted {
    tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), "knative-validate-"));
    const files = op.slice(1).map((o) => {
        const file = path.join(tmp!, `${n++}.json`);
        fs.writeFileSync(file, JSON.stringify(o));
        return file;
    });
    const run = spawnSync(TOOL, [...profile.args, op[0], ...files], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(run.stderr.trim());
    return { stored: JSON.parse(run.stdout), warnings: run.stderr.split("\n").filter((line) => line.startsWith("warning:")) };
}
