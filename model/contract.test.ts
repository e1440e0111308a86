import { expect } from "chai";
import { isProduction, isSystemNamespace } from "./contract";

describe("contract", () => {
    it("production is production and prod, whatever the case; nothing else", () => {
        for (const name of ["production", "prod", "Production", "PRODUCTION", " prod "]) expect(isProduction(name), name).to.equal(true);
        for (const name of ["dev", "staging", "production-eu", "preprod", "", undefined, 1]) expect(isProduction(name), String(name)).to.equal(false);
    });

    it("system namespaces are default, kube-* and knative-*", () => {
        for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease", "knative-serving", "knative-eventing"]) expect(isSystemNamespace(ns), ns).to.equal(true);
        for (const ns of ["revs", "team-a", "defaults", "kubernetes-apps"]) expect(isSystemNamespace(ns), ns).to.equal(false);
    });
});
