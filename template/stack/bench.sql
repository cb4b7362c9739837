-- The statements the API sends for one CRUD flow (create, get, update, delete, list), for
-- pgbench: the database's own ceiling for the same work, one statement per round trip.
\set n random(1, 1000000000)
INSERT INTO items (title, description, status) VALUES ('bench ' || :n, 'pgbench', 'pending') RETURNING id, title, description, status, created_at, updated_at \gset
SELECT id, title, description, status, created_at, updated_at FROM items WHERE id = :id;
UPDATE items SET title = 'done', description = NULL, status = 'done', updated_at = now() WHERE id = :id RETURNING id, title, description, status, created_at, updated_at;
DELETE FROM items WHERE id = :id RETURNING id;
SELECT id, title, description, status, created_at, updated_at FROM items ORDER BY created_at, id LIMIT 20 OFFSET 0;
