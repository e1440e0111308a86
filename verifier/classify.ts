/**
 * Which version answered: the apps reply `Hello <TARGET> : <version> !\n` (apps/v1/app.py).
 * Pure; knows nothing about HTTP beyond a status code and a body.
 */

/** What a response says about the version behind it. */
export type Classification =
    /** A version named in the expectation. */
    | { kind: "version"; version: string }
    /** A well-formed answer from a version the expectation does not name (e.g. a leftover v0). */
    | { kind: "other-version"; version: string }
    /** Not an answer from any version: an ingress page, a 404, a changed body. */
    | { kind: "unclassifiable" }
    /** The server failed (5xx); its body is not looked at. */
    | { kind: "server-error"; status: number };

/**
 * The version token is the last `: <version> !` on the body, anchored at its end, so a TARGET
 * that itself contains " : x !" cannot be mistaken for the version.
 */
const VERSION_TOKEN = /\s:\s(\S+)\s!\s*$/;

export function versionToken(body: string): string | undefined {
    return VERSION_TOKEN.exec(body)?.[1];
}

export function classify(status: number, body: string, versions: ReadonlySet<string>): Classification {
    if (status >= 500) return { kind: "server-error", status };
    // Only a 2xx is an answer from the app's `/`; a 4xx naming a version is still not one.
    if (status < 200 || status >= 300) return { kind: "unclassifiable" };
    const token = versionToken(body);
    if (token === undefined) return { kind: "unclassifiable" };
    return versions.has(token) ? { kind: "version", version: token } : { kind: "other-version", version: token };
}
