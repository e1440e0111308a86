/**
 * TrafficVerifier: the post-deploy gate. After the Service is Ready, `@pulumi/command` runs the
 * verifier (verifier/, `npm run verify`), which sends requests to the Service's URL, classifies
 * each answer by version and tests the observed split against the plan's expected split; a
 * mismatch, or a check that could not judge, exits non-zero and fails `pulumi up`.
 *
 * It re-runs whenever its command changes (the expected split, the URL, the budget) or an image
 * reference changes (a new build behind an unchanged table).
 */
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { TYPES, type VerifyConfig } from "../model";
import { verifyCommandLine } from "../verifier/command";

/** Where `npm run verify` runs: the project root (the verifier ships with the program). */
export const PROJECT_DIR = path.join(__dirname, "..");

export interface TrafficVerifierArgs {
    verify: VerifyConfig;
    /** The Service's URL (from its status); `verify.url` overrides it. */
    serviceUrl: pulumi.Input<string | undefined>;
    expect: [string, number][];
    /** Image references behind the split: a new one re-runs the verifier. */
    images: pulumi.Input<string>[];
}

export class TrafficVerifier extends pulumi.ComponentResource {
    /** The verifier's report (its table and decision). */
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: TrafficVerifierArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.trafficVerifier, name, {}, opts);
        const create = pulumi.output(args.serviceUrl).apply((statusUrl) => {
            const url = args.verify.url ?? statusUrl;
            if (url === undefined || url === "") {
                throw new Error(`the Service has no URL in its status yet; set verify.url to the URL users reach it by`);
            }
            return verifyCommandLine({ ...args.verify, url, expect: args.expect });
        });
        // Loaded here, not at the top: only a stack with the gate pays for the package (~0.5 s a run).
        const { local }: typeof command = require("@pulumi/command");
        const run = new local.Command(`${name}-run`, { create, dir: PROJECT_DIR, triggers: args.images }, { parent: this });
        this.report = run.stdout;
        this.registerOutputs({ report: this.report });
    }
}
