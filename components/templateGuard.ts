/**
 * Knative rejects a template change (image, env, annotations) that keeps the BYO revision name,
 * with "Saw the following changes without a name change". This guard sees the previous run's
 * template inputs and fails the preview first, with a message that says which stack config key
 * changed and what to do instead, before anything is sent to the cluster.
 */
import * as pulumi from "@pulumi/pulumi";

export interface TemplateFingerprint {
    revisionName: string;
    /** Stack config key (or app folder) → the value that went into the template. */
    inputs: Record<string, string>;
}

/** Problems with moving from `olds` to `news`; empty when the change is allowed. Pure. */
export function templateChangeProblems(olds: Partial<TemplateFingerprint>, news: TemplateFingerprint): string[] {
    if (olds.revisionName === undefined || olds.revisionName !== news.revisionName) {
        return []; // first run, or a new name: Knative creates (or reuses) that revision
    }
    const before = olds.inputs ?? {};
    const changed = Object.keys({ ...before, ...news.inputs })
        .sort()
        .filter((k) => before[k] !== news.inputs[k]);
    if (changed.length === 0) {
        return [];
    }
    return [
        `the revision template of ${news.revisionName} changed (${changed.join(", ")}) but its name did not. ` +
            `Knative rejects a template change under an unchanged revision name. ` +
            `Ship the change as a new version: add apps/<new-version>, set candidateVersion to it ` +
            `(and stableVersion to the current one to split traffic); or revert ${changed.join(", ")}.`,
    ];
}

const templateGuardProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<TemplateFingerprint>, news: TemplateFingerprint) {
        const failures = templateChangeProblems(olds, news).map((reason) => ({ property: "inputs", reason }));
        return { inputs: news, failures };
    },
    async create(inputs: TemplateFingerprint) {
        return { id: inputs.revisionName, outs: inputs };
    },
    async update(_id: string, _olds: TemplateFingerprint, news: TemplateFingerprint) {
        return { outs: news };
    },
};

export interface TemplateGuardArgs {
    revisionName: pulumi.Input<string>;
    inputs: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export class TemplateGuard extends pulumi.dynamic.Resource {
    constructor(name: string, args: TemplateGuardArgs, opts?: pulumi.CustomResourceOptions) {
        super(templateGuardProvider, name, args, opts, "knative-rollout", "TemplateGuard");
    }
}
