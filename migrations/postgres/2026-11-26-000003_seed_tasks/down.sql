DELETE FROM tasks WHERE name IN ('Buy groceries', 'Walk the dog', 'Learn Django REST framework');
