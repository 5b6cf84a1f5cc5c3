-- Back to the previous model (as 2026-11-26-000001 created it): titles become
-- names, content "Done." becomes done, created_on becomes created (midnight
-- UTC); the original's three demo tasks become the previous version's.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 150),
    is_active BOOLEAN NOT NULL DEFAULT 1,
    is_staff BOOLEAN NOT NULL DEFAULT 0,
    date_joined TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    done BOOLEAN NOT NULL DEFAULT 0,
    created TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

INSERT INTO users (id, username, is_active, is_staff, date_joined)
SELECT id, username, is_active, is_staff, date_joined FROM auth_user ORDER BY id;

INSERT INTO tasks (id, name, done, created)
SELECT id,
       CASE
           WHEN id = 1 AND title = 'Workout' AND content = 'Squat, bench press, deadlift.' THEN 'Buy groceries'
           WHEN id = 2 AND title = 'Shopping' AND content = 'Whey protein, creatine, BCAAs.' THEN 'Walk the dog'
           WHEN id = 3 AND title = 'Counting' AND content = '1, 2, 3 and so on.' THEN 'Learn Django REST framework'
           ELSE coalesce(nullif(trim(title), ''), 'Untitled')
       END,
       CASE
           WHEN id = 2 AND title = 'Shopping' AND content = 'Whey protein, creatine, BCAAs.' THEN 1
           ELSE content = 'Done.'
       END,
       created_on || ' 00:00:00'
FROM task ORDER BY id;

DELETE FROM sqlite_sequence WHERE name IN ('users', 'tasks');
INSERT INTO sqlite_sequence (name, seq) SELECT 'users', seq FROM sqlite_sequence WHERE name = 'auth_user';
INSERT INTO sqlite_sequence (name, seq) SELECT 'tasks', seq FROM sqlite_sequence WHERE name = 'task';

DROP TABLE task;
DROP TABLE auth_user;
