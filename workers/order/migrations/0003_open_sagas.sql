-- Sagas an operator looks at: those that need attention, and those still running or compensating,
-- the longest-waiting (oldest updated_at) first. Finished orders, the bulk of the table, are not in it.
CREATE INDEX orders_open_by_updated ON orders (updated_at, id)
	WHERE needs_attention = 1 OR phase IN ('running', 'compensating');
