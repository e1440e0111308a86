/**
 * The content fingerprint of an app version: what decides whether its image, and so its revision
 * template, may change. Hashing the build context ourselves (the files Docker would send, per
 * .dockerignore, plus every build input outside the context) keeps that decision independent of
 * whether the image builder rebuilds byte-for-byte identically.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dockerignore: (opts?: { ignorecase?: boolean }) => { add(p: string | string[]): any; ignores(p: string): boolean } = require("@balena/dockerignore");

/** Files in a build context that Docker would send, relative and sorted ('/'-separated). */
export function contextFiles(contextDir: string): string[] {
    const ignorePath = path.join(contextDir, ".dockerignore");
    const ig = dockerignore();
    if (fs.existsSync(ignorePath)) {
        ig.add(fs.readFileSync(ignorePath, "utf8").split(/\r?\n/));
    }
    const files: string[] = [];
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(contextDir, rel), { withFileTypes: true })) {
            const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
            if (ig.ignores(child)) continue;
            if (entry.isDirectory()) walk(child);
            else if (entry.isFile()) files.push(child);
        }
    };
    walk("");
    // The Dockerfile and .dockerignore always reach the builder, even when ignored.
    for (const always of ["Dockerfile", ".dockerignore"]) {
        if (!files.includes(always) && fs.existsSync(path.join(contextDir, always))) files.push(always);
    }
    return files.sort();
}

/** sha256 over the context's files (names, modes' exec bit, bytes) and the build's other inputs. */
export function appContentHash(contextDir: string, buildInputs: Record<string, string | undefined>): string {
    const h = createHash("sha256");
    for (const rel of contextFiles(contextDir)) {
        const full = path.join(contextDir, rel);
        const executable = (fs.statSync(full).mode & 0o111) !== 0;
        h.update(`file\0${rel}\0${executable ? "x" : "-"}\0`);
        h.update(fs.readFileSync(full));
        h.update("\0");
    }
    for (const key of Object.keys(buildInputs).sort()) {
        h.update(`input\0${key}\0${buildInputs[key] ?? ""}\0`);
    }
    return `sha256:${h.digest("hex")}`;
}
