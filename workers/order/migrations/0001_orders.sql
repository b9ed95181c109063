-- The read model of orders: one row per order, its newest summary (order.summary-changed and the
-- status events carry it). Listed newest first, by status or by customer, with a keyset cursor.
CREATE TABLE orders (
	id TEXT PRIMARY KEY,
	revision INTEGER NOT NULL,
	status TEXT NOT NULL,
	phase TEXT NOT NULL,
	needs_attention INTEGER NOT NULL,
	customer_id TEXT NOT NULL,
	total INTEGER NOT NULL,
	currency TEXT NOT NULL,
	failure_reason TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX orders_by_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);
