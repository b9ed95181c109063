/** Payment rules, free of I/O. Tokens are the card network's stand-in: two of them trigger outcomes for testing. */
export type PaymentStatus = "reviewing" | "authorized" | "declined" | "voided" | "captured";

/** A card that is always declined. */
export const DECLINE_TOKEN = "tok_decline";
/** A payment held for manual review: authorized or declined when a reviewer decides (`POST /admin/payments/{id}/review`). */
export const REVIEW_TOKEN = "tok_review";

export function authorizationOutcome(paymentToken: string): "authorized" | "declined" | "review" {
	if (paymentToken === DECLINE_TOKEN) return "declined";
	if (paymentToken === REVIEW_TOKEN) return "review";
	return "authorized";
}

/** The answer a repeated authorization gets from what the payment already is. */
export function authorizationReply(status: PaymentStatus): { type: string; reason?: string } {
	switch (status) {
		case "authorized":
		case "captured":
			return { type: "billing.payment-authorized" };
		case "declined":
			return { type: "billing.payment-declined", reason: "payment_declined" };
		case "voided":
			// Voided before the authorization arrived (a late command after a cancel): never authorize now.
			return { type: "billing.payment-declined", reason: "voided" };
		case "reviewing":
			return { type: "billing.payment-held", reason: "review" };
	}
}

export type ReviewDecision = "approve" | "decline";

/**
 * What a reviewer's decision does to a payment: `decide` it while it is under review; the same
 * decision again answers the same (`same`); another one after a decision is a `conflict`; a payment
 * never held, or voided before anyone decided, is `not_under_review`.
 */
export function reviewVerdict(
	status: PaymentStatus,
	decided: ReviewDecision | null,
	decision: ReviewDecision,
): "decide" | "same" | "conflict" | "not_under_review" {
	if (decided !== null) return decided === decision ? "same" : "conflict";
	return status === "reviewing" ? "decide" : "not_under_review";
}

export const authorizationIdFor = (orderId: string) => `auth_${orderId.replace(/^ord_/, "")}`;

/** An order is confirmed only with its payment authorized; the invoice may come before or after the capture. */
export const invoiceable = (status: PaymentStatus) => status === "authorized" || status === "captured";

export const invoiceIdFor = (orderId: string) => `inv_${orderId.replace(/^ord_/, "")}`;

/**
 * A refund gives back part of what was captured: only a captured payment is refunded, and never
 * more in all than was captured.
 */
export function refundVerdict(
	status: PaymentStatus | undefined,
	captured: number,
	refundedSoFar: number,
	amount: number,
): "refund" | "not_captured" | "exceeds_captured" {
	if (status !== "captured") return "not_captured";
	return refundedSoFar + amount > captured ? "exceeds_captured" : "refund";
}
