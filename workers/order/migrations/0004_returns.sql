-- The read model of returns: one row per return, its newest summary (order.return-changed), listed
-- newest first by customer or by order.
CREATE TABLE returns (
	id TEXT PRIMARY KEY,
	order_id TEXT NOT NULL,
	revision INTEGER NOT NULL,
	status TEXT NOT NULL,
	phase TEXT NOT NULL,
	needs_attention INTEGER NOT NULL,
	customer_id TEXT NOT NULL,
	amount INTEGER NOT NULL,
	currency TEXT NOT NULL,
	failure_reason TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX returns_by_customer ON returns (customer_id, created_at DESC, id DESC);
CREATE INDEX returns_by_order ON returns (order_id, created_at DESC, id DESC);
