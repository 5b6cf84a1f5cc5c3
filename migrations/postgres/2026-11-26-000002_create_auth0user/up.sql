-- The one user every token maps to with the default username handler (auth0user).
INSERT INTO users (username, is_active, is_staff) VALUES ('auth0user', TRUE, FALSE);
