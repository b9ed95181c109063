/**
 * The message topology, declared once: which context owns each command and how it is reached
 * (by RPC through its `Commands` entrypoint; its queue stays for operators replaying a dead letter),
 * which queues carry events and which events go to which queue. Every binding name a Worker uses
 * for another's messages is here.
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
		commands: [
			"inventory.reserve-stock",
			"inventory.release-stock",
			"inventory.commit-stock",
			"inventory.reserve-line",
			"inventory.release-line",
			"inventory.commit-line",
			"inventory.restock-line",
		],
	},
	billing: {
		rpc: "BILLING",
		queue: "billing-commands",
		producer: "BILLING_COMMANDS",
		commands: [
			"billing.authorize-payment",
			"billing.void-payment",
			"billing.capture-payment",
			"billing.refund-payment",
		],
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
			"shipping.schedule-return",
			"shipping.cancel-return",
		],
	},
	/**
	 * The order context itself, for the sagas of its returns: the order Worker reaches its own
	 * `Commands` entrypoint over a service binding to itself, so a return's commands to its order
	 * leave the return's outbox like any other; an operator replays one onto order-events.
	 */
	order: {
		rpc: "ORDER",
		queue: "order-events",
		producer: "ORDER_EVENTS",
		commands: ["order.authorize-return", "order.release-return", "order.record-return"],
	},
} as const satisfies Record<string, ContextRoute>;
export type ContextName = keyof typeof CONTEXTS;
export type CommandType = (typeof CONTEXTS)[ContextName]["commands"][number];

/** A queue of events: it has one consumer, and a dead-letter queue of its own. */
interface EventQueue {
	/** Producer binding of the queue, in each Worker that publishes onto it (and the gateway, for replays). */
	producer: string;
	/** Producer binding of its dead-letter queue, in the consumer's Worker: where a message that can never apply goes. */
	deadLetters: string;
	/** The Worker that consumes it. */
	consumer: "order" | ContextName;
}

/**
 * The queues of events. Carrier events (and replies an operator replays) reach the order on
 * `order-events`; the order's domain events go to one queue per consumer, so each consumer
 * acks, retries and dead-letters its copy on its own.
 */
export const EVENT_QUEUES = {
	"order-events": { producer: "ORDER_EVENTS", deadLetters: "DEAD_LETTERS", consumer: "order" },
	"order-read-model": { producer: "ORDER_READ_MODEL", deadLetters: "ORDER_READ_MODEL_DLQ", consumer: "order" },
	"billing-events": { producer: "BILLING_EVENTS", deadLetters: "BILLING_EVENTS_DLQ", consumer: "billing" },
} as const satisfies Record<string, EventQueue>;
export type EventQueueName = keyof typeof EVENT_QUEUES;

/** The domain events an outbox publishes, and the queues (one per consumer) each goes to. */
export const EVENT_ROUTES = {
	"order.placed": ["order-read-model"],
	"order.confirmed": ["order-read-model", "billing-events"],
	"order.cancelled": ["order-read-model"],
	"order.shipped": ["order-read-model"],
	"order.delivered": ["order-read-model"],
	"order.summary-changed": ["order-read-model"],
	"order.return-changed": ["order-read-model"],
} as const satisfies Partial<Record<MessageType, readonly EventQueueName[]>>;
export type PublishedEvent = keyof typeof EVENT_ROUTES;

/** The producer bindings an event is staged for in the publisher's outbox: one per queue that carries it. */
export const eventProducers = (type: PublishedEvent): string[] =>
	EVENT_ROUTES[type].map((queue) => EVENT_QUEUES[queue].producer);

/** The events a queue carries: what its consumer accepts (anything else is dead-lettered). */
export const eventsOn = (queue: EventQueueName): PublishedEvent[] =>
	(Object.keys(EVENT_ROUTES) as PublishedEvent[]).filter((type) =>
		(EVENT_ROUTES[type] as readonly EventQueueName[]).includes(queue),
	);

/** Every queue an operator may put a message on (a replay), by its producer binding. */
export const QUEUES: Record<string, string> = {
	...Object.fromEntries(Object.entries(EVENT_QUEUES).map(([queue, q]) => [queue, q.producer])),
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
