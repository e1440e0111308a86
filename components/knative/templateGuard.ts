/**
 * TemplateGuard: sees the previous run's template inputs and fails the preview when a template
 * input changes under an unchanged revision name (model/templateChange.ts decides), with a
 * message that says which stack config key changed and what to do instead, before anything is
 * sent to the cluster, where Knative would reject it.
 */
import * as pulumi from "@pulumi/pulumi";
import { DYNAMIC_TYPE_NAMES, PROJECT, templateChangeProblems, type TemplateFingerprint } from "../../model";

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
        super(templateGuardProvider, name, args, opts, PROJECT, DYNAMIC_TYPE_NAMES.guard);
    }
}
