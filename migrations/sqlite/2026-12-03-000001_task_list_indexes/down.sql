DROP INDEX IF EXISTS "todoapi_task_created_by_id";
