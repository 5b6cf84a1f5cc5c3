-- The original's v1.14 migration 0004: who created each task (the token's
-- `sub`), "dummy" for the rows already there. Unlike Django's, the default
-- stays, so that the original at v1.11, which does not know the column, can
-- still add tasks to a database of ours. (On a database the original made,
-- this column is its own migration's business: see src/db/migrations.rs.)
ALTER TABLE "task" ADD COLUMN "created_by" varchar(200) NOT NULL DEFAULT 'dummy';
