-- The saga version each order runs on, from its news: what tells an operator a version can be retired.
ALTER TABLE orders ADD COLUMN saga_version INTEGER;
