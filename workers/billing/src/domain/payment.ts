/** Payment rules, free of I/O. Tokens are the card network's stand-in: two of them trigger outcomes for testing. */
export type PaymentStatus = "reviewing" | "authorized" | "declined" | "voided" | "captured";

/** A card that is always declined. */
export const DECLINE_TOKEN = "tok_decline";
/** A payment held for manual review: authorized only after PAYMENT_REVIEW_MS, so a saga's deadline can pass first. */
export const REVIEW_TOKEN = "tok_review";

export function authorizationOutcome(paymentToken: string): "authorized" | "declined" | "review" {
	if (paymentToken === DECLINE_TOKEN) return "declined";
	if (paymentToken === REVIEW_TOKEN) return "review";
	return "authorized";
}

/** The answer a repeated authorization gets from what the payment already is; null while it is still under review. */
export function authorizationReply(status: PaymentStatus): { type: string; reason?: string } | null {
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
			return null;
	}
}

/** An order is confirmed only with its payment authorized; the invoice may come before or after the capture. */
export const invoiceable = (status: PaymentStatus) => status === "authorized" || status === "captured";

export const invoiceIdFor = (orderId: string) => `inv_${orderId.replace(/^ord_/, "")}`;
