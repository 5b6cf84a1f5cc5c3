DELETE FROM users WHERE username = 'auth0user';
