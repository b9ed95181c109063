/**
 * The message topology, declared once: which context owns each command and how it is reached
 * (by RPC through its `Commands` entrypoint; its queue stays for operators replaying a dead letter),
 * and which queues carry events. Every binding name a Worker uses for another's messages is here.
 */
import type { MessageType } from "./messages";

interface ContextRoute {
	/** Service binding to the context's `Commands` entrypoint, in the saga's Worker. */
	rpc: string;
	/** The context's command queue and the producer binding that reaches it. */
	queue: string;
	producer: string;
	commands: readonly MessageType[];
}

export const CONTEXTS = {
	inventory: {
		rpc: "INVENTORY",
		queue: "inventory-commands",
		producer: "INVENTORY_COMMANDS",
		commands: ["inventory.reserve-stock", "inventory.release-stock", "inventory.commit-stock"],
	},
	billing: {
		rpc: "BILLING",
		queue: "billing-commands",
		producer: "BILLING_COMMANDS",
		commands: ["billing.authorize-payment", "billing.void-payment", "billing.capture-payment"],
	},
	shipping: {
		rpc: "SHIPPING",
		queue: "shipping-commands",
		producer: "SHIPPING_COMMANDS",
		commands: [
			"shipping.schedule-pickup",
			"shipping.cancel-pickup",
			"shipping.confirm-pickup",
			"shipping.report-shipment",
		],
	},
} as const satisfies Record<string, ContextRoute>;
export type ContextName = keyof typeof CONTEXTS;
export type CommandType = (typeof CONTEXTS)[ContextName]["commands"][number];

/** Queues of events (replies sent over a queue, carrier events) and the producer binding that reaches each. */
export const EVENT_QUEUES = { "order-events": "ORDER_EVENTS" } as const;

/** Every queue an operator may put a message on (a replay), by its producer binding. */
export const QUEUES: Record<string, string> = {
	...EVENT_QUEUES,
	...Object.fromEntries(Object.values(CONTEXTS).map((c) => [c.queue, c.producer])),
};

/** Each dead-letter queue and the queue its letters came from. */
export const DEAD_LETTER_QUEUES: Record<string, string> = Object.fromEntries(
	Object.keys(QUEUES).map((queue) => [`${queue}-dlq`, queue]),
);

const OWNER = new Map<string, ContextName>(
	Object.entries(CONTEXTS).flatMap(([name, c]) => c.commands.map((t) => [t, name as ContextName])),
);

/** The context that executes a command; undefined for a type that is not a command. */
export const ownerOf = (type: string): ContextName | undefined => OWNER.get(type);

/** Where a saga's outbox sends a command: an RPC to its owner's `Commands` entrypoint. */
export function commandRoute(type: string): `rpc:${string}` {
	const owner = ownerOf(type);
	if (!owner) throw new Error(`${type} is not a command of any context`);
	return `rpc:${CONTEXTS[owner].rpc}`;
}
