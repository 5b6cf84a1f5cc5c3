-- The original's own tables, created as Django 2.1 creates them (auth_user,
-- and todoapi.Task as "task"), so that this server and the original can
-- serve one database. The previous model's rows move over:
--   users -> auth_user: id, username, is_active, is_staff, date_joined kept;
--     an unusable password ('!' and random, as Django's set_unusable_password),
--     no names, auth0user's e-mail as the original's migration 0003 sets it.
--   tasks -> task: id kept; title = name cut to 50 characters; content says
--     what `done` said ("Done." / "To do."), so it is never blank; created_on
--     and due_date = the day of `created`. The previous version's three demo
--     tasks (ids 1-3 with their names untouched) become the original's three.
-- Ids are never reused: each AUTOINCREMENT counter carries over.
CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(30) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "last_name" varchar(150) NOT NULL);
CREATE TABLE "task" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(50) NOT NULL, "content" varchar(50) NOT NULL, "created_on" date NOT NULL, "due_date" date NOT NULL);

INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, email, is_staff, is_active, date_joined, last_name)
SELECT id, '!' || lower(hex(randomblob(20))), NULL, 0, username, '',
       CASE username WHEN 'auth0user' THEN 'myemail@someprovider.com' ELSE '' END,
       is_staff, is_active, date_joined, ''
FROM users ORDER BY id;

INSERT INTO task (id, title, content, created_on, due_date)
SELECT id,
       CASE
           WHEN id = 1 AND name = 'Buy groceries' THEN 'Workout'
           WHEN id = 2 AND name = 'Walk the dog' THEN 'Shopping'
           WHEN id = 3 AND name = 'Learn Django REST framework' THEN 'Counting'
           ELSE substr(name, 1, 50)
       END,
       CASE
           WHEN id = 1 AND name = 'Buy groceries' THEN 'Squat, bench press, deadlift.'
           WHEN id = 2 AND name = 'Walk the dog' THEN 'Whey protein, creatine, BCAAs.'
           WHEN id = 3 AND name = 'Learn Django REST framework' THEN '1, 2, 3 and so on.'
           WHEN done THEN 'Done.'
           ELSE 'To do.'
       END,
       date(created), date(created)
FROM tasks ORDER BY id;

DELETE FROM sqlite_sequence WHERE name IN ('auth_user', 'task');
INSERT INTO sqlite_sequence (name, seq) SELECT 'auth_user', seq FROM sqlite_sequence WHERE name = 'users';
INSERT INTO sqlite_sequence (name, seq) SELECT 'task', seq FROM sqlite_sequence WHERE name = 'tasks';

DROP TABLE tasks;
DROP TABLE users;
