ALTER TABLE "task" DROP COLUMN "created_by";
