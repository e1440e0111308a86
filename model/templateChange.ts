/**
 * What may change a revision template. Knative rejects a template change (image, env,
 * annotations) that keeps the BYO revision name ("Saw the following changes without a name
 * change"), so two decisions guard the name:
 * - an image reference moves only when the app's content does (a builder that is not
 *   byte-reproducible must not move it);
 * - a template input may change only together with the revision name.
 */

/** A digest-pinned image as recorded: the ref the builder pushed and the content it was built from. */
export interface PinnedImageState {
    contentHash: string;
    /** `repository:tag@sha256:...` as pushed. */
    ref: string;
}

/** The pin moves only with the content; the builder's new digest alone does not move it. */
export function pinChanges(olds: PinnedImageState, news: PinnedImageState): boolean {
    return olds.contentHash !== news.contentHash || olds.ref === undefined || olds.ref === "";
}

export interface TemplateFingerprint {
    revisionName: string;
    /** Stack config key (or app folder) → the value that went into the template. */
    inputs: Record<string, string>;
}

/** Problems with moving from `olds` to `news`; empty when the change is allowed. */
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
