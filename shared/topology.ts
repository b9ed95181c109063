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
			"billing.report-review",
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

/**
 * A queue of events: it has one consumer, and a dead-letter queue of its own. It is `shards` real
 * queues (one queue takes at most 5,000 messages/s): each with its own producer binding, consumed by
 * the same Worker with the same settings, all dead-lettering to the one dead-letter queue.
 */
interface EventQueue {
	/** Producer binding of the queue's shard 0, in each Worker that publishes onto it (and the gateway, for replays). */
	producer: string;
	/** Producer binding of its dead-letter queue, in the consumer's Worker: where a message that can never apply goes. */
	deadLetters: string;
	/** The Worker that consumes it. */
	consumer: "order" | ContextName;
	/** The Workers that publish onto it. The order Worker (dead-letter replays) and the gateway (admin replays) bind it too. */
	publishers: readonly ("order" | ContextName)[];
	/**
	 * How many queues carry it: at least its messages per order (`npm run bench -- --capacity`) / 0.5,
	 * so that at 10,000 orders/s no shard takes more than 5,000 messages/s.
	 */
	shards: number;
	/**
	 * Its consumer keeps only the newest news of each subject (every event carries the whole summary
	 * and its revision): news still waiting in an outbox is replaced by newer news of the same subject.
	 */
	keepsNewest?: true;
}

/**
 * The queues of events. Carrier events (and replies an operator replays) reach the order on
 * `order-events`; the order's domain events go to one queue per consumer, so each consumer
 * acks, retries and dead-letters its copy on its own.
 */
export const EVENT_QUEUES = {
	// ~3 messages per order (replies of queue-consumed commands, carrier events): 6 shards.
	"order-events": {
		producer: "ORDER_EVENTS",
		deadLetters: "DEAD_LETTERS",
		consumer: "order",
		publishers: ["inventory", "billing", "shipping"],
		shards: 6,
	},
	// ~5 per order (placed, summaries, confirmed, shipped, delivered): 10 shards.
	"order-read-model": {
		producer: "ORDER_READ_MODEL",
		deadLetters: "ORDER_READ_MODEL_DLQ",
		consumer: "order",
		publishers: ["order"],
		shards: 10,
		keepsNewest: true,
	},
	// ~1 per order (confirmed): 2 shards.
	"billing-events": {
		producer: "BILLING_EVENTS",
		deadLetters: "BILLING_EVENTS_DLQ",
		consumer: "billing",
		publishers: ["order"],
		shards: 2,
	},
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

/**
 * Where an event of one subject (an order, a return) is staged in its publisher's outbox: a producer
 * binding per queue that carries it, the subject's shard, and for a queue that keeps only the newest
 * news, the key under which newer news replaces it (see OutboxItem).
 */
export const eventRoutes = (type: PublishedEvent, correlationId: string): { producer: string; newest?: string }[] =>
	EVENT_ROUTES[type].map((queue) => {
		const producer = shardFor(queue, correlationId).producer;
		return "keepsNewest" in EVENT_QUEUES[queue] ? { producer, newest: `${queue}:${correlationId}` } : { producer };
	});

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

/** One real queue of a (possibly sharded) queue: its name and the producer binding that reaches it. */
export interface Shard {
	queue: string;
	producer: string;
}

const shardCount = (queue: string) =>
	Object.hasOwn(EVENT_QUEUES, queue) ? EVENT_QUEUES[queue as EventQueueName].shards : 1;

/**
 * The real queues of a queue of `QUEUES`, shard 0 first; a command queue is one. Shard 0 keeps the
 * queue's own name and binding (what it was before it was sharded: a deploy keeps consuming what is
 * on it); shard i is `<queue>-<i>`, bound as `<PRODUCER>_<i>`.
 */
export function shardsOf(queue: string): Shard[] {
	const producer = Object.hasOwn(QUEUES, queue) ? QUEUES[queue] : undefined;
	if (!producer) return [];
	return Array.from({ length: shardCount(queue) }, (_, i) =>
		i === 0 ? { queue, producer } : { queue: `${queue}-${i}`, producer: `${producer}_${i}` },
	);
}

/** FNV-1a, 32 bits: stable across isolates, deploys and runtimes, so a key always picks the same shard. */
function hash(key: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

/**
 * The shard of a queue a message goes to, by its correlation id (the order's id): every producer picks
 * it here, so all of one order's messages on a queue share a shard. Consumers are indifferent to
 * order anyway; the locality keeps an order's messages in the same batches.
 */
export function shardFor(queue: string, correlationId: string): Shard {
	const shards = shardsOf(queue);
	const shard = shards[hash(correlationId) % shards.length];
	if (!shard) throw new Error(`${queue} is not a queue of the topology`);
	return shard;
}

const SHARD_OF = new Map<string, string>(
	Object.keys(QUEUES).flatMap((queue) => shardsOf(queue).map((s) => [s.queue, queue] as const)),
);

/** The queue a real queue (a shard, as a batch names it) is a shard of; undefined for any other name. */
export const queueOfShard = (name: string): string | undefined => SHARD_OF.get(name);

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
