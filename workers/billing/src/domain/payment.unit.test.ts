import { describe, expect, it } from "vitest";
import { authorizationOutcome, authorizationReply, invoiceable } from "./payment";

describe("payment rules", () => {
	it("declines tok_decline, holds tok_review for review, authorizes other tokens", () => {
		expect(authorizationOutcome("tok_decline")).toBe("declined");
		expect(authorizationOutcome("tok_review")).toBe("review");
		expect(authorizationOutcome("tok_visa")).toBe("authorized");
	});

	it("answers a repeated authorization from what the payment already is, and never authorizes a voided one", () => {
		expect(authorizationReply("captured")?.type).toBe("billing.payment-authorized");
		expect(authorizationReply("voided")).toEqual({ type: "billing.payment-declined", reason: "voided" });
		expect(authorizationReply("reviewing")).toBeNull();
	});

	it("invoices a confirmed order's payment before or after its capture, never one that holds no money", () => {
		expect(invoiceable("authorized")).toBe(true);
		expect(invoiceable("captured")).toBe(true);
		for (const status of ["reviewing", "declined", "voided"] as const) expect(invoiceable(status)).toBe(false);
	});
});
