-- What the task list filters and orders by: in creator mode each list is
-- `WHERE created_by = ? ORDER BY id`, which without this index reads the
-- whole table. `todoapi add-indexes` runs these same statements on a
-- database the original made (where this migration is recorded, not run):
-- each is one statement, IF NOT EXISTS, named todoapi_*.
CREATE INDEX IF NOT EXISTS "todoapi_task_created_by_id" ON "task" ("created_by", "id");
