-- Three tasks so that a new client has something to show.
INSERT INTO tasks (name, done) VALUES ('Buy groceries', FALSE);
INSERT INTO tasks (name, done) VALUES ('Walk the dog', TRUE);
INSERT INTO tasks (name, done) VALUES ('Learn Django REST framework', FALSE);
