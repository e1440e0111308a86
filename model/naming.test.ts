import { expect } from "chai";
import { dns1035Problem, MAX_LABEL_LENGTH, revisionName, tagHostLabel } from "./naming";

describe("names", () => {
    const rows: [string, string | undefined][] = [
        ["v1", undefined],
        ["helloworld-python", undefined],
        ["a".repeat(MAX_LABEL_LENGTH), undefined],
        ["", "must not be empty"],
        ["a".repeat(MAX_LABEL_LENGTH + 1), "must be at most 63 characters (got 64)"],
        ["V1", "must be a DNS-1035 label"],
        ["1v", "must be a DNS-1035 label"],
        ["v1-", "must be a DNS-1035 label"],
        ["v_1", "must be a DNS-1035 label"],
        ["v.1", "must be a DNS-1035 label"],
    ];
    for (const [value, problem] of rows) {
        it(`${JSON.stringify(value.length > 20 ? `${value.slice(0, 8)}…(${value.length})` : value)} ${problem ? `is refused: ${problem}` : "is a DNS-1035 label"}`, () => {
            const found = dns1035Problem(value);
            if (problem === undefined) expect(found).to.equal(undefined);
            else expect(found).to.include(problem);
        });
    }

    it("names a version's revision <service>-<version>, the prefix Knative requires", () => {
        expect(revisionName("helloworld-python", "v2")).to.equal("helloworld-python-v2");
    });

    it("names a tag's host label <tag>-<service>, as config-network's default tag-template does", () => {
        expect(tagHostLabel("candidate", "helloworld-python")).to.equal("candidate-helloworld-python");
    });
});
