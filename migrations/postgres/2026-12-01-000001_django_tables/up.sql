-- The original's own tables, created as Django 2.1 creates them (auth_user,
-- and todoapi.Task as "task"), so that this server and the original can
-- serve one database. The previous model's rows move over:
--   users -> auth_user: id, username, is_active, is_staff, date_joined kept;
--     an unusable password ('!' and random, as Django's set_unusable_password),
--     no names, auth0user's e-mail as the original's migration 0003 sets it.
--   tasks -> task: id kept; title = name cut to 50 characters; content says
--     what `done` said ("Done." / "To do."), so it is never blank; created_on
--     and due_date = the day (UTC) of `created`. The previous version's three
--     demo tasks (ids 1-3 with their names untouched) become the original's three.
-- Ids are never reused: each sequence carries over.
CREATE TABLE "auth_user" ("id" serial NOT NULL PRIMARY KEY, "password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL, "is_superuser" boolean NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(30) NOT NULL, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" boolean NOT NULL, "is_active" boolean NOT NULL, "date_joined" timestamp with time zone NOT NULL);
CREATE INDEX "auth_user_username_6821ab7c_like" ON "auth_user" ("username" varchar_pattern_ops);
CREATE TABLE "task" ("id" serial NOT NULL PRIMARY KEY, "title" varchar(50) NOT NULL, "content" varchar(50) NOT NULL, "created_on" date NOT NULL, "due_date" date NOT NULL);

INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT id::integer, '!' || substr(md5(random()::text) || md5(random()::text), 1, 40), NULL, FALSE,
       username, '', '',
       CASE username WHEN 'auth0user' THEN 'myemail@someprovider.com' ELSE '' END,
       is_staff, is_active, date_joined AT TIME ZONE 'UTC'
FROM users ORDER BY id;

INSERT INTO task (id, title, content, created_on, due_date)
SELECT id::integer,
       CASE
           WHEN id = 1 AND name = 'Buy groceries' THEN 'Workout'
           WHEN id = 2 AND name = 'Walk the dog' THEN 'Shopping'
           WHEN id = 3 AND name = 'Learn Django REST framework' THEN 'Counting'
           ELSE left(name, 50)
       END,
       CASE
           WHEN id = 1 AND name = 'Buy groceries' THEN 'Squat, bench press, deadlift.'
           WHEN id = 2 AND name = 'Walk the dog' THEN 'Whey protein, creatine, BCAAs.'
           WHEN id = 3 AND name = 'Learn Django REST framework' THEN '1, 2, 3 and so on.'
           WHEN done THEN 'Done.'
           ELSE 'To do.'
       END,
       created::date, created::date
FROM tasks ORDER BY id;

SELECT setval('auth_user_id_seq', last_value, is_called) FROM users_id_seq;
SELECT setval('task_id_seq', last_value, is_called) FROM tasks_id_seq;

DROP TABLE tasks;
DROP TABLE users;
