/**
 * A digest-pinned image reference that changes only when the app's content does.
 *
 * Knative rejects any template change that keeps the revision name, so an image reference that
 * moved without a code change (a rebuild that is not byte-reproducible: a new CI runner, a lost
 * cache, or the builder rebuilding on every run, pulumi/pulumi-docker-build#222) would block
 * every later update, traffic-only ones included. This resource records the `tag@digest` the
 * builder pushed together with the content hash it was built from, and keeps it until the
 * content hash changes (model/templateChange.ts `pinChanges`); a spurious rebuild's new digest is
 * ignored (the old one stays pullable by digest).
 */
import * as pulumi from "@pulumi/pulumi";
import { DYNAMIC_TYPE_NAMES, pinChanges, type PinnedImageState, PROJECT } from "../../model";

const pinnedImageProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: PinnedImageState) {
        return { id: inputs.contentHash, outs: inputs };
    },
    async diff(_id: string, olds: PinnedImageState, news: PinnedImageState) {
        return { changes: pinChanges(olds, news) };
    },
    async update(_id: string, _olds: PinnedImageState, news: PinnedImageState) {
        return { outs: news };
    },
};

export interface PinnedImageArgs {
    contentHash: pulumi.Input<string>;
    ref: pulumi.Input<string>;
}

export class PinnedImage extends pulumi.dynamic.Resource {
    declare readonly contentHash: pulumi.Output<string>;
    declare readonly ref: pulumi.Output<string>;

    constructor(name: string, args: PinnedImageArgs, opts?: pulumi.CustomResourceOptions) {
        super(pinnedImageProvider, name, args, opts, PROJECT, DYNAMIC_TYPE_NAMES.pin);
    }
}
