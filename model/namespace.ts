/**
 * Whether the stack may take a namespace the way its config says: create it (and own it), or use
 * an existing one as it is. Pure; components/namespace.ts reads the cluster and applies it.
 */
import { ANNOTATIONS } from "./contract";

export interface NamespaceClaim {
    name: string;
    mode: "create" | "existing";
    /** `<project>/<stack>`: written on a namespace the stack creates. */
    owner: string;
}

export type NamespaceObject = { metadata?: { annotations?: Record<string, string> } };

/** Why the stack may not take this namespace the way it wants, or undefined. Pure. */
export function namespaceClaimProblem(
    olds: Partial<NamespaceClaim>,
    news: NamespaceClaim,
    live: NamespaceObject | undefined,
): string | undefined {
    const claimedBefore = olds.name === news.name && olds.mode !== undefined;
    if (news.mode === "existing") {
        if (claimedBefore && olds.mode === "create") {
            return (
                `namespace "${news.name}" was created by this stack; with useExistingNamespace Pulumi would delete it (it leaves the program). ` +
                `To keep it and stop managing it, first remove it from the stack's state (pulumi state delete <its URN>, from pulumi stack --show-urns), then set useExistingNamespace.`
            );
        }
        if (live === undefined) {
            return `namespace "${news.name}" does not exist, and useExistingNamespace says to use it as it is: create it first, or unset useExistingNamespace to let the stack create (and own) it.`;
        }
        return undefined;
    }
    if (live === undefined || claimedBefore) return undefined;
    const owner = live.metadata?.annotations?.[ANNOTATIONS.namespaceOwner];
    if (owner === news.owner) return undefined; // this stack created it (its state was lost or re-created)
    return (
        `namespace "${news.name}" already exists${owner ? ` (owned by stack ${owner})` : ""} and this stack did not create it; ` +
        `the stack would take it over and delete it with everything in it on destroy. ` +
        `Choose another namespace, or deploy into this one as it is: pulumi config set useExistingNamespace true (the stack then never changes or deletes it).`
    );
}

