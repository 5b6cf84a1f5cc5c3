-- Back to the previous model (as 2026-11-26-000001 created it): titles become
-- names, content "Done." becomes done, created_on becomes created (midnight
-- UTC); the original's three demo tasks become the previous version's.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username VARCHAR(150) NOT NULL UNIQUE CHECK (char_length(username) >= 1),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_staff BOOLEAN NOT NULL DEFAULT FALSE,
    date_joined TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE tasks (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(200) NOT NULL CHECK (char_length(name) >= 1),
    done BOOLEAN NOT NULL DEFAULT FALSE,
    created TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

INSERT INTO users (id, username, is_active, is_staff, date_joined)
SELECT id, username, is_active, is_staff, date_joined AT TIME ZONE 'UTC' FROM auth_user ORDER BY id;

INSERT INTO tasks (id, name, done, created)
SELECT id,
       CASE
           WHEN id = 1 AND title = 'Workout' AND content = 'Squat, bench press, deadlift.' THEN 'Buy groceries'
           WHEN id = 2 AND title = 'Shopping' AND content = 'Whey protein, creatine, BCAAs.' THEN 'Walk the dog'
           WHEN id = 3 AND title = 'Counting' AND content = '1, 2, 3 and so on.' THEN 'Learn Django REST framework'
           ELSE coalesce(nullif(trim(title), ''), 'Untitled')
       END,
       CASE
           WHEN id = 2 AND title = 'Shopping' AND content = 'Whey protein, creatine, BCAAs.' THEN TRUE
           ELSE content = 'Done.'
       END,
       created_on::timestamp
FROM task ORDER BY id;

SELECT setval('users_id_seq', last_value, is_called) FROM auth_user_id_seq;
SELECT setval('tasks_id_seq', last_value, is_called) FROM task_id_seq;

DROP TABLE task;
DROP TABLE auth_user;
