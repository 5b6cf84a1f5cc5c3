"""Requests in a loop from a few threads until STOP_FILE is gone; prints
how many of each status (or error) came back, as JSON. Used by compose.sh
while a replica restarts."""
import json
import os
import ssl
import sys
import threading
import urllib.error
import urllib.request

url, cafile, stop_file = sys.argv[1], sys.argv[2], sys.argv[3]
context = ssl.create_default_context(cafile=cafile)
counts = {}
lock = threading.Lock()


def worker():
    while os.path.exists(stop_file):
        try:
            with urllib.request.urlopen(url, context=context, timeout=30) as answer:
                status = str(answer.status)
        except urllib.error.HTTPError as e:
            status = str(e.code)
        except Exception as e:  # a refused or reset connection is a lost request
            status = type(e).__name__
        with lock:
            counts[status] = counts.get(status, 0) + 1


threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(counts, sort_keys=True))
