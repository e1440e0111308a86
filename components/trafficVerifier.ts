/**
 * TrafficVerifier: the post-deploy gate. After the Service is Ready, `@pulumi/command` runs the
 * verifier (verifier/, `npm run verify`), which sends requests to the Service's URL, classifies
 * each answer by version and tests the observed split against the traffic table; a mismatch
 * exits non-zero and fails `pulumi up`.
 *
 * It re-runs whenever its command changes (the expected split, the URL, the budget) or an image
 * reference changes (a new build behind an unchanged table).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { VerifyConfig } from "./config";

/** Where `npm run verify` runs: the project root (the verifier ships with the program). */
export const PROJECT_DIR = path.join(__dirname, "..");

/** The share each version should get: what users must observe. */
export function expectedSplit(plan: { stableVersion?: string; candidateVersion: string; rolloutPercent: number }): Record<string, number> {
    return plan.stableVersion === undefined
        ? { [plan.candidateVersion]: 100 }
        : { [plan.stableVersion]: 100 - plan.rolloutPercent, [plan.candidateVersion]: plan.rolloutPercent };
}

/** POSIX shell single-quoting: the command runs through `/bin/sh -c`. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The verifier's command line for one deploy. */
export function verifierCommand(verify: VerifyConfig, url: string, expect: Record<string, number>): string {
    const args = [
        "--url", url,
        ...(verify.address !== undefined ? ["--address", verify.address] : []),
        ...(verify.host !== undefined ? ["--host", verify.host] : []),
        "--expect", Object.entries(expect).map(([version, percent]) => `${version}=${percent}`).join(","),
        "--max-requests", String(verify.maxRequests),
        "--time-limit", String(verify.timeLimitSeconds),
        "--concurrency", String(verify.concurrency),
    ];
    return ["npm", "run", "--silent", "verify", "--", ...args].map(shellQuote).join(" ");
}

export interface TrafficVerifierArgs {
    verify: VerifyConfig;
    /** The Service's URL (from its status); `verify.url` overrides it. */
    serviceUrl: pulumi.Input<string | undefined>;
    expect: Record<string, number>;
    /** Image references behind the split: a new one re-runs the verifier. */
    images: pulumi.Input<string>[];
}

export class TrafficVerifier extends pulumi.ComponentResource {
    /** The verifier's report (its table and decision). */
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: TrafficVerifierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("knative-rollout:index:TrafficVerifier", name, {}, opts);
        const create = pulumi.output(args.serviceUrl).apply((statusUrl) => {
            const url = args.verify.url ?? statusUrl;
            if (url === undefined || url === "") {
                throw new Error(`the Service has no URL in its status yet; set verify.url to the URL users reach it by`);
            }
            return verifierCommand(args.verify, url, args.expect);
        });
        const run = new command.local.Command(
            `${name}-run`,
            {
                create,
                dir: PROJECT_DIR,
                triggers: args.images,
            },
            { parent: this },
        );
        this.report = run.stdout;
        this.registerOutputs({ report: this.report });
    }
}
