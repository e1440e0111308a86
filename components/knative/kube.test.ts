import { expect } from "chai";
import { withoutUndefined } from "./kube";

describe("dynamic resource outputs", () => {
    it("carry no undefined values (a protobuf Struct rejects them: 'Unexpected struct type')", () => {
        expect(withoutUndefined({ url: undefined, tagUrls: {}, ready: false, nested: [{ a: undefined, b: 1 }] })).to.deep.equal({ tagUrls: {}, ready: false, nested: [{ b: 1 }] });
    });
});
