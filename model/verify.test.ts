import { expect } from "chai";
import { budgetProblem, parseAddress, urlProblem } from "./verify";

describe("verifier bounds (shared by config and the CLI)", () => {
    it("reads host:port and [IPv6]:port, ports 1 to 65535", () => {
        expect(parseAddress("192.0.2.10:80")).to.deep.equal({ host: "192.0.2.10", port: 80 });
        expect(parseAddress("[::1]:8080")).to.deep.equal({ host: "::1", port: 8080 });
        for (const bad of ["192.0.2.10", "192.0.2.10:0", "192.0.2.10:65536", "[::1", ":80"]) expect(() => parseAddress(bad), bad).to.throw("must be host:port");
    });

    it("takes http(s) URLs without credentials", () => {
        expect(urlProblem("http://helloworld-python.revs.example.com/")).to.equal(undefined);
        expect(urlProblem("http://[::1")).to.include("must be an http:// or https:// URL");
        expect(urlProblem("ftp://a.test/")).to.include("must be an http:// or https:// URL");
        expect(urlProblem("http://u:p@a.test/")).to.include("must not contain credentials");
        expect(urlProblem("http://u@a.test/")).to.include("must not contain credentials");
    });

    it("bounds the budget: whole numbers within the verifier's limits", () => {
        expect(budgetProblem("concurrency", 8)).to.equal(undefined);
        expect(budgetProblem("concurrency", 1025)).to.include("at most 1024");
        expect(budgetProblem("timeLimitSeconds", 10 ** 9)).to.include("at most 3600");
        expect(budgetProblem("maxRequests", 0)).to.include("at least 1");
        expect(budgetProblem("maxRequests", 1.5)).to.include("whole number");
    });
});
