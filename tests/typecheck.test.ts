import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

describe("types", function () {
    this.timeout(180000);

    // `pulumi up` only transpiles (tsconfig.pulumi.json); this is where the types are checked.
    it("the program, its components, tests and e2e code type-check (npm run build)", () => {
        const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", "."], {
            cwd: path.join(__dirname, ".."),
            encoding: "utf8",
        });
        expect(tsc.stdout + tsc.stderr).to.equal("");
        expect(tsc.status).to.equal(0);
    });
});
