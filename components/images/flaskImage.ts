/**
 * FlaskImage: builds one app version (`apps/<version>/`) with BuildKit through
 * `@pulumi/docker-build`, pushes it, and hands downstream a digest-pinned reference that moves
 * only when the app's content does (see pinnedImage.ts).
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { TYPES } from "../../model";
import { appContentHash } from "./appContent";
import { PinnedImage } from "./pinnedImage";
import { registryHost } from "./registry";

export interface RegistryAccess {
    /** Repository prefix images are pushed under, e.g. `registry.example.com/team`. */
    registry: string;
    username?: string;
    password?: pulumi.Input<string>;
}

export interface FlaskImageArgs {
    /** Directory holding `apps/<version>/`. */
    appsDir: string;
    /** Image repository name under the registry (the Knative Service's name). */
    repository: string;
    version: string;
    platform: string;
    /** Base image build arg; unset keeps the Dockerfile's pinned default. */
    pythonImage?: string;
    registryAccess: RegistryAccess;
    /**
     * Build without pushing (a stack that renders manifests instead of applying them): the image
     * is loaded into the local Docker engine and referenced by its tag, since only a push gives
     * a registry digest.
     */
    localOnly?: boolean;
}

/** Everything the image build depends on besides the context's files. */
export function buildInputs(args: Pick<FlaskImageArgs, "platform" | "pythonImage">): Record<string, string | undefined> {
    return { platform: args.platform, PYTHON_IMAGE: args.pythonImage };
}

export class FlaskImage extends pulumi.ComponentResource {
    /** `repository:version@sha256:…` (just `repository:version` when localOnly): what the revision template runs. */
    readonly ref: pulumi.Output<string>;
    /** sha256 over the build context and build inputs. */
    readonly contentHash: string;
    readonly version: string;

    constructor(name: string, args: FlaskImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.flaskImage, name, {}, opts);
        const context = path.join(args.appsDir, args.version);
        const tag = `${args.registryAccess.registry}/${args.repository}:${args.version}`;
        this.version = args.version;
        this.contentHash = appContentHash(context, buildInputs(args));

        const { username, password } = args.registryAccess;
        const image = new dockerbuild.Image(
            `${name}-build`,
            {
                context: { location: context },
                dockerfile: { location: path.join(context, "Dockerfile") },
                platforms: [args.platform as dockerbuild.Platform],
                buildArgs: args.pythonImage ? { PYTHON_IMAGE: args.pythonImage } : {},
                tags: [tag],
                push: !args.localOnly,
                load: args.localOnly ? true : undefined,
                // Previews stay fast and offline; the pin below keeps the template stable anyway.
                buildOnPreview: false,
                cacheFrom: args.localOnly ? [] : [{ registry: { ref: tag } }],
                cacheTo: args.localOnly ? [] : [{ inline: {} }],
                registries:
                    username !== undefined && password !== undefined
                        ? [{ address: registryHost(args.registryAccess.registry), username, password }]
                        : [],
            },
            { parent: this },
        );

        if (args.localOnly) {
            // Depend on the build, so whatever uses the tag waits for the image to exist.
            this.ref = image.ref.apply(() => tag);
        } else {
            const pinned = new PinnedImage(`${name}-pin`, { contentHash: this.contentHash, ref: image.ref }, { parent: this });
            this.ref = pinned.ref;
        }
        this.registerOutputs({ ref: this.ref, contentHash: this.contentHash });
    }
}
