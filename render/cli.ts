/**
 * `npm run render -- --stack <name|file> [--set key=value]... [--out <dir> | --diff <stack|file>]`
 *
 * Prints the Kubernetes manifests a stack deploys, from the program's own code, with no Pulumi
 * CLI, Docker or cluster (see render/manifests.ts). Exit codes: 0 rendered; 1 a config or usage
 * error (the message is printed, for a bad config exactly parseConfig's, as `pulumi up` shows
 * it); 2 an unexpected failure.
 */
import { parseArgs as parseArgv } from "node:util";
import { ConfigError } from "../model";
import { renderConfig } from "./manifests";
import { diffRenderings, toYaml, writeManifestFiles } from "./output";
import { findStackFile, loadProject, RenderError } from "./project";
import { readStackConfig } from "./stackConfig";

export const USAGE = `usage: npm run render -- --stack <name|Pulumi.<name>.yaml> [--set key=value]... [--out <dir> | --diff <stack|file>]

  --stack <s>       the stack to render: a name (Pulumi.<name>.yaml at the repository root) or a stack file
  --set key=value   override a config key (repeatable), as \`pulumi config set\` would; JSON for lists and objects
  --out <dir>       write one file per object into <dir> instead of printing the stream
  --diff <s>        print a unified diff from <s>'s rendering (a stack name or file, without --set)
                    to this one's, e.g. --stack dev --set rolloutPercent=80 --diff dev
  -h, --help        this text

Image digests and secrets only a deploy knows are rendered as placeholders (see the output's header).
Exit codes: 0 rendered, 1 config or usage error, 2 unexpected failure.`;

export interface CliArgs {
    stack: string;
    set: Record<string, string>;
    out?: string;
    diff?: string;
}

/** Parses the command line; throws RenderError on a usage error. Returns undefined for --help. */
export function parseArgs(argv: string[]): CliArgs | undefined {
    let values: { stack?: string; set?: string[]; out?: string; diff?: string; help?: boolean };
    try {
        ({ values } = parseArgv({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string", short: "s" },
                set: { type: "string", multiple: true },
                out: { type: "string" },
                diff: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        }));
    } catch (err) {
        throw new RenderError(`${(err as Error).message}\n${USAGE}`);
    }
    if (values.help) return undefined;
    const set: Record<string, string> = {};
    for (const kv of values.set ?? []) {
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new RenderError(`--set takes key=value, got "${kv}"`);
        set[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    for (const [flag, value] of [["--stack", values.stack], ["--out", values.out], ["--diff", values.diff]] as const) {
        if (value === "") throw new RenderError(`${flag} needs a value\n${USAGE}`);
    }
    if (values.stack === undefined) throw new RenderError(`--stack is required\n${USAGE}`);
    if (values.out !== undefined && values.diff !== undefined) throw new RenderError(`--out and --diff do not go together`);
    return { stack: values.stack, set, out: values.out, diff: values.diff };
}

export interface Io {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
    try {
        const args = parseArgs(argv);
        if (args === undefined) {
            io.stdout(USAGE + "\n");
            return 0;
        }
        const project = loadProject();
        const config = readStackConfig(project, findStackFile(args.stack, project.dir), args.set);
        const other = args.diff === undefined ? undefined : readStackConfig(project, findStackFile(args.diff, project.dir));
        for (const note of [...config.notes, ...(other?.notes ?? [])]) io.stderr(`note: ${note}\n`);
        const rendering = await renderConfig(config, { project: project.name });
        if (other) {
            const base = await renderConfig(other, { project: project.name }).catch((err) => {
                if (err instanceof ConfigError) io.stderr(`in ${other.source} (--diff):\n`);
                throw err;
            });
            const patch = diffRenderings(base, rendering);
            if (patch === "") io.stderr(`no differences between the manifests of ${base.source} and ${rendering.source}\n`);
            io.stdout(patch);
        } else if (args.out !== undefined) {
            for (const file of writeManifestFiles(rendering, args.out)) io.stderr(`wrote ${file}\n`);
        } else {
            io.stdout(toYaml(rendering));
        }
        return 0;
    } catch (err) {
        if (err instanceof ConfigError || err instanceof RenderError) {
            io.stderr(err.message + "\n");
            return 1;
        }
        io.stderr(`render failed unexpectedly: ${(err as Error)?.stack ?? err}\n`);
        return 2;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
    }).then((code) => {
        process.exitCode = code;
    });
}
