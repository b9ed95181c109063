import { describe, expect, it } from "vitest";
import { authorizationOutcome, authorizationReply, invoiceable, reviewVerdict } from "./payment";

describe("payment rules", () => {
	it("declines tok_decline, holds tok_review for review, authorizes other tokens", () => {
		expect(authorizationOutcome("tok_decline")).toBe("declined");
		expect(authorizationOutcome("tok_review")).toBe("review");
		expect(authorizationOutcome("tok_visa")).toBe("authorized");
	});

	it("answers a repeated authorization from what the payment already is, and never authorizes a voided one", () => {
		expect(authorizationReply("captured")?.type).toBe("billing.payment-authorized");
		expect(authorizationReply("voided")).toEqual({ type: "billing.payment-declined", reason: "voided" });
		expect(authorizationReply("reviewing")).toEqual({ type: "billing.payment-held", reason: "review" });
	});

	it("decides a payment under review once: the same decision again is the same answer, another one a conflict", () => {
		expect(reviewVerdict("reviewing", null, "approve")).toBe("decide");
		expect(reviewVerdict("authorized", "approve", "approve")).toBe("same");
		expect(reviewVerdict("voided", "approve", "approve")).toBe("same");
		expect(reviewVerdict("declined", "decline", "approve")).toBe("conflict");
		for (const status of ["authorized", "captured", "declined", "voided"] as const)
			expect(reviewVerdict(status, null, "decline")).toBe("not_under_review");
	});

	it("invoices a confirmed order's payment before or after its capture, never one that holds no money", () => {
		expect(invoiceable("authorized")).toBe(true);
		expect(invoiceable("captured")).toBe(true);
		for (const status of ["reviewing", "declined", "voided"] as const) expect(invoiceable(status)).toBe(false);
	});
});
